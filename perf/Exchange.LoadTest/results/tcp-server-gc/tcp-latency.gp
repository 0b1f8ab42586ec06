set terminal pngcairo size 1000,600 noenhanced
set output 'tcp-latency.png'
set title "TCP end to end: gateway vs loopback echo, from planned send time"
set logscale x
set xrange [1:*]
set logscale y
set xlabel 'percentile'
set ylabel 'latency (µs)'
set xtics ('50%%' 2, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000, '99.999%%' 100000, '99.9999%%' 1000000)
set grid
set key bottom right
plot 'tcp-echo-10k.dat' using 2:3 with lines linewidth 2 title 'echo 10k/s', \
     'tcp-gateway-10k.dat' using 2:3 with lines linewidth 2 title 'gateway 10k/s', \
     'tcp-echo-50k.dat' using 2:3 with lines linewidth 2 title 'echo 50k/s', \
     'tcp-gateway-50k.dat' using 2:3 with lines linewidth 2 title 'gateway 50k/s', \
     'tcp-echo-100k.dat' using 2:3 with lines linewidth 2 title 'echo 100k/s', \
     'tcp-gateway-100k.dat' using 2:3 with lines linewidth 2 title 'gateway 100k/s'
