// Terminal: how wide the output is, for laying out text in columns.
#pragma once

namespace charrnn {

// Columns of the terminal on `fd` (ioctl TIOCGWINSZ), else $COLUMNS when it is a positive
// number, else `fallback` (output to a file or a pipe).
int terminal_width(int fd, int fallback = 80);

}  // namespace charrnn
