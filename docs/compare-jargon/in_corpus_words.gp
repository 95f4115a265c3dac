# charrnn plot: redraw with `gnuplot docs/compare-jargon/in_corpus_words.gp`
$d0 << EOD
0.2 0.9866666667
0.5 0.9459459459
1 0.6440677966
1.2 0.5172413793
EOD
set datafile missing '?'
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
  set terminal pngcairo size 900,560 enhanced font 'sans,10'
} else {
  set terminal png size 900,560
}
set output 'docs/compare-jargon/in_corpus_words.png'
set title 'Words spelled as in the corpus' noenhanced
set xlabel 'temperature' noenhanced
set ylabel 'share' noenhanced
set grid
set key below noenhanced
plot $d0 using 1:2 with linespoints pt 7 ps 0.8 lw 2 title 'words found in the corpus'
unset output
