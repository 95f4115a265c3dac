# charrnn plot: redraw with `gnuplot docs/compare-jargon/log_likelihood.gp`
$d0 << EOD
0.2 -0.8485259491
0.5 -1.017867501
1 -1.503754361
1.2 -1.9077256
EOD
set datafile missing '?'
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
  set terminal pngcairo size 900,560 enhanced font 'sans,10'
} else {
  set terminal png size 900,560
}
set output 'docs/compare-jargon/log_likelihood.png'
set title 'Log-likelihood of the sample under the model at T=1' noenhanced
set xlabel 'temperature' noenhanced
set ylabel 'nats/byte (higher = more model-like)' noenhanced
set grid
set key below noenhanced
plot $d0 using 1:2 with linespoints pt 7 ps 0.8 lw 2 title 'log-likelihood at T=1'
unset output
