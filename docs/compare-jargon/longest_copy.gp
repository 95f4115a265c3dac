# charrnn plot: redraw with `gnuplot docs/compare-jargon/longest_copy.gp`
$d0 << EOD
0.2 20
0.5 18
1 18
1.2 14
EOD
set datafile missing '?'
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
  set terminal pngcairo size 900,560 enhanced font 'sans,10'
} else {
  set terminal png size 900,560
}
set output 'docs/compare-jargon/longest_copy.png'
set title 'Longest substring copied verbatim from the corpus' noenhanced
set xlabel 'temperature' noenhanced
set ylabel 'bytes' noenhanced
set grid
set key below noenhanced
plot $d0 using 1:2 with linespoints pt 7 ps 0.8 lw 2 title 'longest substring copied from the corpus'
unset output
