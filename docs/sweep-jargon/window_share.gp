# charrnn plot: redraw with `gnuplot docs/sweep-jargon/window_share.gp`
$d0 << EOD
0.1 0.01312335958
0.2 0.002624671916
0.3 0.005249343832
0.4 0.01115485564
0.5 0.002624671916
0.6 0.001968503937
0.7 0
0.8 0.001312335958
0.9 0
1 0
1.1 0
1.2 0
1.3 0.00656167979
1.4 0
1.5 0
1.6 0
1.7 0
1.8 0
1.9 0
2 0
EOD
$d1 << EOD
0.1 0.007874015748
0.1 0.01837270341
0.1 0.005249343832
0.1 0.02099737533
0.2 0.002624671916
0.2 0
0.2 0.007874015748
0.2 0
0.3 0
0.3 0.01049868766
0.3 0
0.3 0.01049868766
0.4 0.01049868766
0.4 0.02099737533
0.4 0.01312335958
0.4 0
0.5 0
0.5 0.002624671916
0.5 0
0.5 0.007874015748
0.6 0.007874015748
0.6 0
0.6 0
0.6 0
0.7 0
0.7 0
0.7 0
0.7 0
0.8 0
0.8 0
0.8 0
0.8 0.005249343832
0.9 0
0.9 0
0.9 0
0.9 0
1 0
1 0
1 0
1 0
1.1 0
1.1 0
1.1 0
1.1 0
1.2 0
1.2 0
1.2 0
1.2 0
1.3 0.02624671916
1.3 0
1.3 0
1.3 0
1.4 0
1.4 0
1.4 0
1.4 0
1.5 0
1.5 0
1.5 0
1.5 0
1.6 0
1.6 0
1.6 0
1.6 0
1.7 0
1.7 0
1.7 0
1.7 0
1.8 0
1.8 0
1.8 0
1.8 0
1.9 0
1.9 0
1.9 0
1.9 0
2 0
2 0
2 0
2 0
EOD
set datafile missing '?'
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
  set terminal pngcairo size 900,560 enhanced font 'sans,10'
} else {
  set terminal png size 900,560
}
set output 'docs/sweep-jargon/window_share.png'
set title '20-byte windows found verbatim in the corpus' noenhanced
set xlabel 'temperature' noenhanced
set ylabel 'share' noenhanced
set grid
set key below noenhanced
plot $d0 using 1:2 with linespoints pt 7 ps 0.8 lw 2 title '20-byte windows found in the corpus (mean)', \
     $d1 using 1:2 with points pt 7 ps 0.5 title 'each sample'
unset output
