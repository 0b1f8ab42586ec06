set terminal pngcairo size 1000,600 noenhanced
set output 'bl-service-time.png'
set title "Exchange.Apply service time per command kind\n(exchange-core mix, 1 instrument, 2,000 accounts, ~1,000 resting orders per book, seed 1)"
set logscale x
set xrange [1:*]
set logscale y
set xlabel 'percentile'
set ylabel 'latency (µs)'
set xtics ('50%%' 2, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000, '99.999%%' 100000, '99.9999%%' 1000000)
set grid
set key bottom right
plot 'bl-gtc.dat' using 2:3 with lines linewidth 2 title 'GTC place', \
     'bl-ioc.dat' using 2:3 with lines linewidth 2 title 'IOC place', \
     'bl-cancel.dat' using 2:3 with lines linewidth 2 title 'cancel', \
     'bl-move.dat' using 2:3 with lines linewidth 2 title 'move'
