# charrnn plot: redraw with `gnuplot docs/sweep-jargon/longest_repeat.gp`
$d0 << EOD
0.1 42.5
0.2 24.25
0.3 17.75
0.4 13.25
0.5 12.25
0.6 11.75
0.7 8.75
0.8 9
0.9 8.5
1 6.5
1.1 6.25
1.2 5.75
1.3 8.25
1.4 6.75
1.5 5.75
1.6 6.25
1.7 5.25
1.8 7
1.9 5.25
2 5.25
EOD
$d1 << EOD
0.1 43
0.1 35
0.1 44
0.1 48
0.2 18
0.2 27
0.2 21
0.2 31
0.3 22
0.3 15
0.3 17
0.3 17
0.4 16
0.4 12
0.4 11
0.4 14
0.5 10
0.5 13
0.5 10
0.5 16
0.6 17
0.6 8
0.6 10
0.6 12
0.7 8
0.7 9
0.7 9
0.7 9
0.8 10
0.8 8
0.8 10
0.8 8
0.9 7
0.9 7
0.9 9
0.9 11
1 6
1 6
1 6
1 8
1.1 7
1.1 6
1.1 7
1.1 5
1.2 5
1.2 6
1.2 5
1.2 7
1.3 14
1.3 7
1.3 5
1.3 7
1.4 6
1.4 8
1.4 6
1.4 7
1.5 6
1.5 7
1.5 5
1.5 5
1.6 7
1.6 6
1.6 6
1.6 6
1.7 5
1.7 4
1.7 7
1.7 5
1.8 7
1.8 9
1.8 6
1.8 6
1.9 5
1.9 6
1.9 5
1.9 5
2 5
2 5
2 6
2 5
EOD
set datafile missing '?'
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
  set terminal pngcairo size 900,560 enhanced font 'sans,10'
} else {
  set terminal png size 900,560
}
set output 'docs/sweep-jargon/longest_repeat.png'
set title 'Longest substring repeated within a sample' noenhanced
set xlabel 'temperature' noenhanced
set ylabel 'bytes' noenhanced
set grid
set key below noenhanced
plot $d0 using 1:2 with linespoints pt 7 ps 0.8 lw 2 title 'longest repeated substring (mean)', \
     $d1 using 1:2 with points pt 7 ps 0.5 title 'each sample'
unset output
