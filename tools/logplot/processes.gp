# processes.gp - one guest's processes over time, as Antfarm inferred them.
#   gnuplot -e "procs='DIR/plot/G.procs'; t0=A; t1=B; name='G'; out='G-processes.png'" processes.gp
# The line is the live count after each event (evlog.h: live=); every
# creation is a mark above it and every exit one below, so bursts of
# short-lived processes (a compile, a fork loop) show as thick bands even
# where the count itself hardly moves.
set terminal pngcairo size 1000,420 font ",10"
set output out
set title sprintf("%s: processes (Antfarm's inference)", name)
set xlabel "time since the hypervisor started (s)"
set ylabel "live processes"
set key top left
set grid
set xrange [t0:t1]
set yrange [0:*]
set offsets 0, 0, 1, 0
plot procs using 1:2 with steps lw 2 lc rgb "#303030" title "live", \
     procs using 1:($3 > 0 ? $2 + 0.3 : NaN) with points pt 9 ps 0.6 lc rgb "#1a9850" title "creation", \
     procs using 1:($3 < 0 ? $2 - 0.3 : NaN) with points pt 11 ps 0.6 lc rgb "#d73027" title "exit"
