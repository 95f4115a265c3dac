# charrnn plot: redraw with `gnuplot docs/compare-jargon/longest_repeat.gp`
$d0 << EOD
0.2 18
0.5 10
1 6
1.2 5
EOD
set datafile missing '?'
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
  set terminal pngcairo size 900,560 enhanced font 'sans,10'
} else {
  set terminal png size 900,560
}
set output 'docs/compare-jargon/longest_repeat.png'
set title 'Longest substring repeated within a sample' noenhanced
set xlabel 'temperature' noenhanced
set ylabel 'bytes' noenhanced
set grid
set key below noenhanced
plot $d0 using 1:2 with linespoints pt 7 ps 0.8 lw 2 title 'longest repeated substring'
unset output
