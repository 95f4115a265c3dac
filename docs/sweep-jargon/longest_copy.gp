# charrnn plot: redraw with `gnuplot docs/sweep-jargon/longest_copy.gp`
$d0 << EOD
0.1 21.75
0.2 19.75
0.3 19.5
0.4 22.25
0.5 18.75
0.6 18.75
0.7 18
0.8 18.25
0.9 17
1 16
1.1 13.75
1.2 14.5
1.3 18.5
1.4 12.5
1.5 12.75
1.6 12
1.7 10.75
1.8 10
1.9 8.75
2 10.25
EOD
$d1 << EOD
0.1 21
0.1 23
0.1 20
0.1 23
0.2 20
0.2 18
0.2 22
0.2 19
0.3 19
0.3 21
0.3 17
0.3 21
0.4 23
0.4 23
0.4 24
0.4 19
0.5 18
0.5 20
0.5 16
0.5 21
0.6 21
0.6 17
0.6 19
0.6 18
0.7 19
0.7 16
0.7 18
0.7 19
0.8 17
0.8 17
0.8 19
0.8 20
0.9 16
0.9 18
0.9 16
0.9 18
1 18
1 16
1 13
1 17
1.1 13
1.1 14
1.1 14
1.1 14
1.2 14
1.2 15
1.2 14
1.2 15
1.3 29
1.3 16
1.3 15
1.3 14
1.4 10
1.4 14
1.4 12
1.4 14
1.5 16
1.5 12
1.5 12
1.5 11
1.6 10
1.6 11
1.6 10
1.6 17
1.7 11
1.7 11
1.7 10
1.7 11
1.8 10
1.8 9
1.8 11
1.8 10
1.9 9
1.9 10
1.9 8
1.9 8
2 8
2 11
2 12
2 10
EOD
set datafile missing '?'
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
  set terminal pngcairo size 900,560 enhanced font 'sans,10'
} else {
  set terminal png size 900,560
}
set output 'docs/sweep-jargon/longest_copy.png'
set title 'Longest substring copied verbatim from the corpus' noenhanced
set xlabel 'temperature' noenhanced
set ylabel 'bytes' noenhanced
set grid
set key below noenhanced
plot $d0 using 1:2 with linespoints pt 7 ps 0.8 lw 2 title 'longest substring copied from the corpus (mean)', \
     $d1 using 1:2 with points pt 7 ps 0.5 title 'each sample'
unset output
