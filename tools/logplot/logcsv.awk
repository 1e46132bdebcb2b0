# logcsv.awk - a Formica console log as CSV tables, and the per-guest series
# that tools/logplot.sh draws.
#
#   awk -v out=DIR -f tools/logplot/logcsv.awk SERIAL.LOG
#
# The console is written for people; these tables are for spreadsheets and
# plots.  Every table's first column is the console time stamp (seconds
# since the hypervisor started), so lines of different kinds line up.
# Lines read (formats: hv/antfarm/evlog.h, hv/guest/io.c, hv/guest/guest.c):
#   [ t] tsc: M MHz, ...                          the TSC rate (for the lag)
#   [ t] ev tsc=T guest=G event=E key=value...    Antfarm's events
#   [ t] mark guest=G value=V exits=N tsc=T af_switches=S af_live=L ...
#   [ t] mark-exits guest=G R:C R:C ...           exits so far, by reason
#   [ t] exits guest=G reason=R name="..." count=C   the end totals
#   [ t] guest G: progress exits=N switches=S ... every 10 s
# Writes, in DIR:
#   events.csv   every ev line, one column per key (empty where absent)
#   marks.csv    every mark line
#   exits.csv    exit counts so far: by reason at marks and at the end,
#                all reasons together (reason "all") at progress lines
#   plot/guests.txt         guest names, in order of first appearance
#   plot/span               first and last time stamp of the log
#   plot/G.procs            t live +1|-1 (creations and exits)
#   plot/G.switches         switches/s, from the best source in the log:
#                           verbose switch lines (per second), else the
#                           switches lines, else the progress lines (10 s),
#                           else the af_switches of marks
#   plot/G.exits            exits/s per reason between marks (header row:
#                           the reasons' names), for the reasons with at
#                           least 0.5% of the exits between the first and
#                           the last mark
#   plot/G.progress         exits/s between progress lines
# A rate holds over an interval, so these three have two rows per interval,
# "start rate" and "end rate": drawn with lines, each interval is a flat
# segment.  A gap between intervals (switches mode prints nothing for an
# interval without switches) is drawn as zero.
#   plot/G.lag              lag in us from a root emptied to its exit
#                           confirmed (ev exit: tsc - cleared), one a line
# The rows of one interval [a, b] of series `key`, after zeros for a gap
# (more than half an interval: console time stamps jitter a little).
function seg(key, a, b, v,   r) {
	r = ""
	if ((key in segend) && a > segend[key] + (b - a) / 2)
		r = sprintf("%.6f 0\n%.6f 0\n", segend[key], a)
	segend[key] = b
	return r sprintf("%.6f %.1f\n%.6f %.1f\n", a, v, b, v)
}
function esc(s) { gsub(/"/, "\"\"", s); return "\"" s "\"" }
function safe(s) { gsub(/[^A-Za-z0-9_.-]/, "_", s); return s }
# key=value fields of the current line into kv[]
function fields(from,   i, p) {
	split("", kv)
	for (i = from; i <= NF; i++) {
		p = index($i, "=")
		if (p > 1)
			kv[substr($i, 1, p - 1)] = substr($i, p + 1)
	}
}
function guest(g) {
	if (!(g in seen)) {
		seen[g] = 1
		order[++ng] = g
		print g > (pd "/guests.txt")
	}
	return pd "/" safe(g)
}
BEGIN {
	if (out == "") { print "logcsv.awk: -v out=DIR missing" > "/dev/stderr"; exit 2 }
	pd = out "/plot"
	ncol = split("tsc guest event asid gen live vcpu prev prevgen cleared count interval_us", col, " ")
	printf "time_s" > (out "/events.csv")
	for (i = 1; i <= ncol; i++) printf ",%s", col[i] > (out "/events.csv")
	print "" > (out "/events.csv")
	print "time_s,tsc,guest,value,exits,af_switches,af_live,af_created,af_exited" > (out "/marks.csv")
	print "time_s,guest,source,reason,name,count" > (out "/exits.csv")
	printf "" > (pd "/guests.txt")
	mhz = 0
}
# The time stamp; lines without one (firmware, the loader) are not ours.
!/^\[ *[0-9]+\.[0-9]+\] / { next }
{
	t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t)
	if (t0 == "") t0 = t
	tlast = t
	sub(/^\[ *[0-9]+\.[0-9]+\] /, "")
	# $0 reassigned: $1 is now the line's first word
}
$1 == "tsc:" && $3 == "MHz," { mhz = $2 + 0; next }
$1 == "ev" {
	fields(2)
	g = kv["guest"]; f = guest(g)
	printf "%s", t > (out "/events.csv")
	for (i = 1; i <= ncol; i++) printf ",%s", kv[col[i]] > (out "/events.csv")
	print "" > (out "/events.csv")
	e = kv["event"]
	if (e == "create" || e == "exit") {
		print t, kv["live"], (e == "create" ? 1 : -1) > (f ".procs")
		if (e == "exit" && kv["cleared"] != "" && mhz > 0)
			printf "%.1f\n", (kv["tsc"] - kv["cleared"]) / mhz > (f ".lag")
	} else if (e == "switch") {
		s = int(t)
		if (!((g, s) in vsw)) vsec[g] = vsec[g] " " s
		vsw[g, s]++
	} else if (e == "switches" && kv["interval_us"] > 0) {
		ssw[g] = ssw[g] seg(g " s", t - kv["interval_us"] / 1e6, t,
				    kv["count"] * 1e6 / kv["interval_us"])
	}
	next
}
$1 == "mark" {
	fields(2)
	g = kv["guest"]; f = guest(g)
	print t "," kv["tsc"] "," g "," kv["value"] "," kv["exits"] "," kv["af_switches"] "," \
		kv["af_live"] "," kv["af_created"] "," kv["af_exited"] > (out "/marks.csv")
	if ((g in mt) && t > mt[g] && kv["af_switches"] != "")
		msw[g] = msw[g] seg(g " m", mt[g], t, (kv["af_switches"] - mswc[g]) / (t - mt[g]))
	mt[g] = t; mswc[g] = kv["af_switches"]
	next
}
$1 == "mark-exits" {
	split($2, a, "="); g = a[2]; guest(g)
	nm[g]++
	mxt[g, nm[g]] = t
	for (i = 3; i <= NF; i++) {
		split($i, a, ":")
		r = a[1]
		if (!((g, r) in hasr)) { hasr[g, r] = 1; reasons[g] = reasons[g] " " r }
		mx[g, nm[g], r] = a[2]
		print t "," g ",mark," r ",," a[2] > (out "/exits.csv")
	}
	next
}
$1 == "exits" && $2 ~ /^guest=/ {
	split($2, a, "="); g = a[2]; guest(g)
	split($3, a, "="); r = a[2]
	name = $0; sub(/^.*name="/, "", name); sub(/".*$/, "", name)
	rname[r] = name
	c = $NF; sub(/^count=/, "", c)
	print t "," g ",end," r "," esc(name) "," c > (out "/exits.csv")
	next
}
$1 == "guest" && $3 == "progress" {
	g = $2; sub(/:$/, "", g); f = guest(g)
	fields(4)
	n = kv["exits"]
	print t "," g ",progress,all," esc("all reasons") "," n > (out "/exits.csv")
	if ((g in pt) && t > pt[g]) {
		printf "%s", seg(g " p", pt[g], t, (n - pn[g]) / (t - pt[g])) > (f ".progress")
		if (kv["switches"] != "" && psc[g] != "")
			psw[g] = psw[g] seg(g " ps", pt[g], t, (kv["switches"] - psc[g]) / (t - pt[g]))
	}
	pt[g] = t; pn[g] = n; psc[g] = kv["switches"]
	next
}
END {
	if (t0 != "") print t0, tlast > (pd "/span")
	for (k = 1; k <= ng; k++) {
		g = order[k]; f = pd "/" safe(g)
		# Switches per second: one source per guest, the finest there is.
		if (vsec[g] != "") {
			n = split(vsec[g], secs, " ")
			for (i = 1; i <= n; i++)
				printf "%s", seg(g " v", secs[i], secs[i] + 1, vsw[g, secs[i]]) > (f ".switches")
		} else if (ssw[g] != "") {
			printf "%s", ssw[g] > (f ".switches")
		} else if (psw[g] != "") {
			printf "%s", psw[g] > (f ".switches")
		} else if (msw[g] != "") {
			printf "%s", msw[g] > (f ".switches")
		}
		# Exits per second by reason, between consecutive marks; the
		# reasons that are at least 1/200 of them (a key of 30 reasons
		# hides the picture).
		n = 0
		if (nm[g] >= 2) {
			na = split(reasons[g], all, " ")
			tot = 0
			for (i = 1; i <= na; i++) tot += mx[g, nm[g], all[i]] - mx[g, 1, all[i]]
			for (i = 1; i <= na; i++)
				if (tot > 0 && (mx[g, nm[g], all[i]] - mx[g, 1, all[i]]) * 200 >= tot)
					rs[++n] = all[i]
		}
		if (n > 0) {
			printf "time_s" > (f ".exits")
			for (i = 1; i <= n; i++)
				printf "\t%s", ((rs[i] in rname) ? esc(rname[rs[i]]) : esc("reason " rs[i])) > (f ".exits")
			print "" > (f ".exits")
			for (j = 2; j <= nm[g]; j++) {
				dt = mxt[g, j] - mxt[g, j - 1]
				if (dt <= 0) continue
				for (e = j - 1; e <= j; e++) {
					printf "%s", mxt[g, e] > (f ".exits")
					for (i = 1; i <= n; i++)
						printf "\t%.1f", (mx[g, j, rs[i]] - mx[g, j - 1, rs[i]]) / dt > (f ".exits")
					print "" > (f ".exits")
				}
			}
		}
	}
}
