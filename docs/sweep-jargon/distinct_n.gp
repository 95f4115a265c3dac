# charrnn plot: redraw with `gnuplot docs/sweep-jargon/distinct_n.gp`
$d0 << EOD
0.1 0.3539419873
0.2 0.6303088803
0.3 0.7521198424
0.4 0.8724383712
0.5 0.9334271803
0.6 0.9733082022
0.7 0.9804649344
0.8 0.9884542489
0.9 0.9958333333
1 1
1.1 1
1.2 1
1.3 1
1.4 1
1.5 1
1.6 1
1.7 1
1.8 1
1.9 1
2 1
EOD
$d1 << EOD
0.1 0.5519617516
0.2 0.867877705
0.3 0.9459534292
0.4 0.9964285714
0.5 1
0.6 1
0.7 1
0.8 1
0.9 1
1 1
1.1 1
1.2 1
1.3 1
1.4 1
1.5 1
1.6 1
1.7 1
1.8 1
1.9 1
2 1
EOD
$d2 << EOD
0.1 0.7103543094
0.2 0.9577205882
0.3 0.9794172932
0.4 1
0.5 1
0.6 1
0.7 1
0.8 1
0.9 1
1 1
1.1 1
1.2 1
1.3 1
1.4 1
1.5 1
1.6 1
1.7 1
1.8 1
1.9 1
2 1
EOD
set datafile missing '?'
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
  set terminal pngcairo size 900,560 enhanced font 'sans,10'
} else {
  set terminal png size 900,560
}
set output 'docs/sweep-jargon/distinct_n.png'
set title 'Word diversity: distinct n-grams / n-grams' noenhanced
set xlabel 'temperature' noenhanced
set ylabel 'share' noenhanced
set grid
set key below noenhanced
plot $d0 using 1:2 with linespoints pt 7 ps 0.8 lw 2 title 'distinct-2 (word bigrams) (mean)', \
     $d1 using 1:2 with linespoints pt 7 ps 0.8 lw 2 title 'distinct-3 (word trigrams) (mean)', \
     $d2 using 1:2 with linespoints pt 7 ps 0.8 lw 2 title 'distinct-4 (word 4-grams) (mean)'
unset output
