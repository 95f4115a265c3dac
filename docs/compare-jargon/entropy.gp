# charrnn plot: redraw with `gnuplot docs/compare-jargon/entropy.gp`
$d0 << EOD
0.2 0.367635488
0.5 0.8408589566
1 1.472934851
1.2 1.892467733
EOD
set datafile missing '?'
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
  set terminal pngcairo size 900,560 enhanced font 'sans,10'
} else {
  set terminal png size 900,560
}
set output 'docs/compare-jargon/entropy.png'
set title 'Entropy of the distribution sampled from' noenhanced
set xlabel 'temperature' noenhanced
set ylabel 'nats' noenhanced
set grid
set key below noenhanced
plot $d0 using 1:2 with linespoints pt 7 ps 0.8 lw 2 title 'entropy of the sampled distribution'
unset output
