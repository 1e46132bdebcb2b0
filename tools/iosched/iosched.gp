# iosched.gp - the chart of `make iosched`: per case, the four schedulers'
# throughput as measured on Formica (left) and as tools/schedsim's model
# predicts for the same case and measured think time (right).
# gnuplot -e "dat='build/iosched/iosched.dat'; png='...png'" iosched.gp
# dat (written by iosched.sh from the CSV): one row per case, then
# measured fcfs, deadline, antic/process, antic/guest, and the same four
# from the model; "?" where a run is missing.
set terminal pngcairo size 1100,480 font ",10"
set output png
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
set key below horizontal
set ylabel "MB/s (10^6 bytes/s), all processes together"
set multiplot layout 1,2 title "Formica in Bochs, disk\\_model = hdd7200: sequential readers, 64 KiB O\\_DIRECT reads"
set title "measured"
plot dat using 2:xtic(1) title "fcfs", '' using 3 title "deadline", \
	'' using 4 title "anticipatory, by process", '' using 5 title "anticipatory, by guest"
set title "model (schedsim, same case and think time)"
plot dat using 6:xtic(1) title "fcfs", '' using 7 title "deadline", \
	'' using 8 title "anticipatory, by process", '' using 9 title "anticipatory, by guest"
unset multiplot
