# charrnn plot: redraw with `gnuplot docs/compare-jargon/distinct_n.gp`
$d0 << EOD
0.2 0.6891891892
0.5 0.9452054795
1 1
1.2 1
EOD
$d1 << EOD
0.2 0.9178082192
0.5 1
1 1
1.2 1
EOD
$d2 << EOD
0.2 0.9861111111
0.5 1
1 1
1.2 1
EOD
set datafile missing '?'
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
  set terminal pngcairo size 900,560 enhanced font 'sans,10'
} else {
  set terminal png size 900,560
}
set output 'docs/compare-jargon/distinct_n.png'
set title 'Word diversity: distinct n-grams / n-grams' noenhanced
set xlabel 'temperature' noenhanced
set ylabel 'share' noenhanced
set grid
set key below noenhanced
plot $d0 using 1:2 with linespoints pt 7 ps 0.8 lw 2 title 'distinct-2 (word bigrams)', \
     $d1 using 1:2 with linespoints pt 7 ps 0.8 lw 2 title 'distinct-3 (word trigrams)', \
     $d2 using 1:2 with linespoints pt 7 ps 0.8 lw 2 title 'distinct-4 (word 4-grams)'
unset output
