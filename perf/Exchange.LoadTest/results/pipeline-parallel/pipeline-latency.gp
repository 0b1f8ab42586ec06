set terminal pngcairo size 1000,600 noenhanced
set output 'pipeline-latency.png'
set title "ExchangePipeline latency from planned send time\n(exchange-core mix, 1 instrument, 2,000 accounts, ~1,000 resting orders per book, seed 1)"
set logscale x
set xrange [1:*]
set logscale y
set xlabel 'percentile'
set ylabel 'latency (µs)'
set xtics ('50%%' 2, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000, '99.999%%' 100000, '99.9999%%' 1000000)
set grid
set key bottom right
plot 'pipeline-100k.dat' using 2:3 with lines linewidth 2 title '100k/s', \
     'pipeline-250k.dat' using 2:3 with lines linewidth 2 title '250k/s', \
     'pipeline-500k.dat' using 2:3 with lines linewidth 2 title '500k/s', \
     'pipeline-1M.dat' using 2:3 with lines linewidth 2 title '1M/s', \
     'pipeline-2M.dat' using 2:3 with lines linewidth 2 title '2M/s', \
     'pipeline-3M.dat' using 2:3 with lines linewidth 2 title '3M/s'
