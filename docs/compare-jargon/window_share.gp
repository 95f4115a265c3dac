# charrnn plot: redraw with `gnuplot docs/compare-jargon/window_share.gp`
$d0 << EOD
0.2 0.002624671916
0.5 0
1 0
1.2 0
EOD
set datafile missing '?'
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
  set terminal pngcairo size 900,560 enhanced font 'sans,10'
} else {
  set terminal png size 900,560
}
set output 'docs/compare-jargon/window_share.png'
set title '20-byte windows found verbatim in the corpus' noenhanced
set xlabel 'temperature' noenhanced
set ylabel 'share' noenhanced
set grid
set key below noenhanced
plot $d0 using 1:2 with linespoints pt 7 ps 0.8 lw 2 title '20-byte windows found in the corpus'
unset output
