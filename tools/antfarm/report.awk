# report.awk - turn a formica serial log from a Table 1 run into the
# paper's Table 1, the lag figures and the inference overhead.
#
#   awk -v csv=OUT.csv -v lagcsv=LAG.csv -f tools/antfarm/report.awk SERIAL.LOG
#
# What it reads (one guest; formats in hv/guest/io.c, hv/antfarm/evlog.h and
# tools/antfarm/afwork.c):
#   tsc: N.NNN MHz ...                      the hv's TSC rate
#   mark guest=G value=1|2 ... tsc=T af_created=.. af_exited=.. af_creates=..
#        af_exits=.. af_execs=.. af_switches=.. af_live=..
#                                            window start/end and Antfarm's
#                                            counters at that moment
#   ev tsc=T guest=G event=create|exit ...   inferred events (for the lag)
#   [G] FORMICA-T1-TRUTH: workload=W k=v...  the guest's ground truth for the
#                                            window that just closed
#   [G] FORMICA-LAG: load=L i=I fork_tsc=T exit_tsc=T
#   [G] FORMICA-OVERHEAD: workload=W round=R antfarm=on|off tsc=T
# The inferred columns are differences of the hv's counters across a window:
# af_created/af_exited are address spaces (the paper's "Inferred"),
# af_creates/af_exits processes in exec-aware mode (our extra column).
#
# Which exits belong to a window (tools/antfarm/README.md, "What a window
# counts"): an address space exits when its last user entry is cleared; the
# paper's rule only *confirms* that at the next TLB flush, which may come
# after the window's end mark (a kernel thread tearing an mm down on a
# borrowed CR3 is followed by no CR3 load at all).  So an exit counts in the
# window in which its root was emptied, confirmed then or later:
#   address spaces: the change across the window of af_exited + af_zero
#                   (af_zero: emptied, awaiting their flush);
#   processes:      exit events whose cleared= lies inside the window.
# Exits confirmed after their window are lag, and listed with it ("late").
# An emptied root never confirmed by the end of the log, or (plain rules) an
# event count that disagrees with the counters, is a false negative.

function kv(line, key,    m) {
	if (match(line, "(^| )" key "=[^ ]*")) {
		m = substr(line, RSTART, RLENGTH)
		sub(/^ /, "", m)
		return substr(m, length(key) + 2)
	}
	return ""
}

BEGIN {
	nwl = 0; nwin = 0; nx = 0
	# The paper's Linux 2.6 x86 rows (Table 1; the compile is bash's,
	# "make -j 20").  create, as_create, inferred; the same for exit; cs.
	paper["fork"] = "1000 1000 1000 1000 1000 1000 3939 3939"
	paper["forkexec"] = "1000 2000 2000 1000 2000 2000 4938 4938"
	paper["vforkexec"] = "1000 1000 1000 1000 1000 1000 3957 3957"
	paper["compile"] = "748 1191 1191 748 1191 1191 2550 2550"
	mhz = 0
}

# The console ends lines with CR LF, and every hv line starts with its
# uptime stamp, "[    0.767868] ".
{ sub(/\r$/, ""); sub(/^\[ *[0-9.]+\] /, "") }

/^tsc: [0-9.]+ MHz/ { mhz = $2 + 0 }
kernel == "" && match($0, /Linux version [^ ]+/) { kernel = substr($0, RSTART + 14, RLENGTH - 14) }

/^mark guest=/ {
	v = kv($0, "value")
	if (v == 1) {
		ws = kv($0, "tsc") + 0; s_cr = kv($0, "af_created"); s_ex = kv($0, "af_exited") + kv($0, "af_zero")
		s_pc = kv($0, "af_creates"); s_sw = kv($0, "af_switches")
	} else if (v == 2) {
		we = kv($0, "tsc") + 0; w_zero = kv($0, "af_zero") + 0
		exec_aware = kv($0, "af_rules") == "exec-aware"
		w_cr = kv($0, "af_created") - s_cr; w_ex = kv($0, "af_exited") + w_zero - s_ex
		w_pc = kv($0, "af_creates") - s_pc
		# CS Inferred: every CR3 load that moved the CPU into another
		# address space, i.e. the switches plus the creations (a new
		# root's first load is a switch into it), as the truth's cs
		# counts switches plus execs.
		w_sw = kv($0, "af_switches") - s_sw + w_cr
		closed = 1
	}
	next
}

/^ev tsc=/ {
	e = kv($0, "event")
	if (e == "create") { ctsc[nc++] = kv($0, "tsc") + 0 }
	else if (e == "exit") {
		xtsc[nx] = kv($0, "tsc") + 0; xclr[nx] = kv($0, "cleared") + 0
		xid[nx++] = kv($0, "asid") "/" kv($0, "gen")
	}
	next
}

# Windows run while inference was switched off (mark byte 0x10) have no
# inferred counts: leave them out of the table.
/^antfarm guest=.* inference=off/ { af_off = 1; next }
/^antfarm guest=.* inference=on/ { af_off = 0; next }

/FORMICA-T1-TRUTH:/ {
	w = kv($0, "workload")
	if (af_off) { skipped_off++; closed = 0; next }
	if (!closed) { print "report: truth for " w " without a closed window" > "/dev/stderr"; next }
	# A workload run in several windows (the compile) adds up to one row.
	if (!(w in seen)) order[nwl++] = w
	seen[w]++
	t_pc[w] += kv($0, "proc_create"); t_ac[w] += kv($0, "as_create")
	t_pe[w] += kv($0, "proc_exit"); t_ae[w] += kv($0, "as_exit")
	t_cs[w] += kv($0, "cs")
	# A TRUTH line cut short (a console line limit) must not read as
	# "nothing lost": no lost= field, no number.
	if (kv($0, "lost") == "") unread[w] = 1
	t_lost[w] += kv($0, "lost")
	i_cr[w] += w_cr; i_ex[w] += w_ex; i_pc[w] += w_pc; i_sw[w] += w_sw
	# Process exits and the late ones need the events after the window
	# too: counted at the end, per window.
	win_w[nwin] = w; win_s[nwin] = ws; win_e[nwin] = we; win_ex[nwin] = w_ex; win_zero[nwin++] = w_zero
	closed = 0
	next
}

/FORMICA-LAG:/ {
	L = kv($0, "load"); i = kv($0, "i") + 0
	if (!(L in lws)) { lws[L] = ws; lwe[L] = we; loads[nload++] = L }
	ft[L, i] = kv($0, "fork_tsc") + 0; et[L, i] = kv($0, "exit_tsc") + 0
	if (i + 1 > ln[L]) ln[L] = i + 1
	next
}

/FORMICA-OVERHEAD:/ {
	w = kv($0, "workload"); m = kv($0, "antfarm")
	if (!(w in otot)) oorder[no++] = w
	otot[w] = 1
	osum[w, m] += kv($0, "tsc"); ocnt[w, m]++
	r = kv($0, "round") + 0; ot[w, r, m] = kv($0, "tsc") + 0
	if (r + 1 > onr[w]) onr[w] = r + 1
	next
}

function num(x) { return x == "" ? "-" : x }
function us(t) { return mhz > 0 ? t / mhz : -1 }

# insertion sort of a[0..n-1]
function isort(a, n,    i, j, x) {
	for (i = 1; i < n; i++) { x = a[i]; for (j = i - 1; j >= 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
}

# The exits whose root was emptied in window k, however late confirmed: the
# count, and one "late" line for each confirmed after the end mark.
function window_exits(k,    j, n, nlate) {
	n = 0; nlate = 0
	for (j = 0; j < nx; j++) {
		if (xclr[j] < win_s[k] || xclr[j] >= win_e[k])
			continue
		n++
		if (xtsc[j] >= win_e[k]) {
			nlate++
			late_lines = late_lines sprintf("late exit in %s: %s emptied %.1f us before the end mark, confirmed %.1f us after it (lag %.1f us)\n",
				win_w[k], xid[j], us(win_e[k] - xclr[j]), us(xtsc[j] - win_e[k]), us(xtsc[j] - xclr[j]))
		}
	}
	late[win_w[k]] += nlate
	# Roots still awaiting their flush at the end mark must all have been
	# emptied in the window and confirmed later: under the paper's rules each
	# is one late event (exec-aware mode may hold an exit back, so there the
	# events can lag further; the counters still count the address space).
	if (!exec_aware && nlate != win_zero[k])
		unconfirmed = unconfirmed sprintf(" %s(%d emptied at the end mark, %d confirmed later)", win_w[k], win_zero[k], nlate)
	return n
}

END {
	for (k = 0; k < nwin; k++)
		i_pe[win_w[k]] += window_exits(k)
	if (nwl > 0) {
		print ""
		print "Table 1 on Linux " (kernel != "" ? kernel : "(version not in the log)") " under formica.  Each row: ours, then [the paper's Linux 2.6 x86]."
		print "Inferred = address spaces (the paper's rules); +exec = processes in exec-aware mode."
		printf "%-10s | %7s %7s %8s %6s | %7s %7s %8s %6s | %7s %7s\n", "", "Process", "AddrSpc", "Inferred", "+exec",
			"Process", "AddrSpc", "Inferred", "+exec", "Context", "CS"
		printf "%-10s | %7s %7s %8s %6s | %7s %7s %8s %6s | %7s %7s\n", "workload", "Create", "Create", "Create", "aware",
			"Exit", "Exit", "Exit", "aware", "Switch", "Inferred"
		if (csv != "")
			print "workload,proc_create,as_create,inferred_create,inferred_create_exec_aware,proc_exit,as_exit,inferred_exit,inferred_exit_exec_aware,context_switch,cs_inferred,lost,paper_proc_create,paper_as_create,paper_inferred_create,paper_proc_exit,paper_as_exit,paper_inferred_exit,paper_cs,paper_cs_inferred" > csv
		for (k = 0; k < nwl; k++) {
			w = order[k]
			printf "%-10s | %7s %7s %8s %6s | %7s %7s %8s %6s | %7s %7s%s\n", w (seen[w] > 1 ? "x" seen[w] : ""), num(t_pc[w]), num(t_ac[w]), i_cr[w], i_pc[w],
				num(t_pe[w]), num(t_ae[w]), i_ex[w], i_pe[w], num(t_cs[w]), i_sw[w],
				(t_lost[w] != "" && t_lost[w] != 0) ? "  (trace lost " t_lost[w] ")" : ""
			p = (w in paper) ? paper[w] : "- - - - - - - -"
			split(p, pp, " ")
			printf "%-10s | %7s %7s %8s %6s | %7s %7s %8s %6s | %7s %7s\n", "", "[" pp[1] "]", "[" pp[2] "]", "[" pp[3] "]", "",
				"[" pp[4] "]", "[" pp[5] "]", "[" pp[6] "]", "", "[" pp[7] "]", "[" pp[8] "]"
			if (csv != "") {
				gsub(/ /, ",", p); gsub(/-/, "", p)
				print w "," t_pc[w] "," t_ac[w] "," i_cr[w] "," i_pc[w] "," t_pe[w] "," t_ae[w] "," i_ex[w] "," i_pe[w] "," t_cs[w] "," i_sw[w] "," (w in unread ? "unread" : t_lost[w]) "," p > csv
			}
			if (i_cr[w] + 0 < t_ac[w] + 0 || i_ex[w] + 0 < t_ae[w] + 0)
				missed = missed " " w
		}
		if (skipped_off) print "(" skipped_off " windows run with inference off left out)"
		for (k = 0; k < nwl; k++)
			if (late[order[k]]) printf "%s: %d exit(s) confirmed by the first flush after the window (lag, counted in the window)\n", order[k], late[order[k]]
		printf "%s", late_lines
		if (unconfirmed != "") missed = missed " UNCONFIRMED:" unconfirmed
		if (missed != "") print "FALSE NEGATIVES in:" missed
		else print "no false negatives: inferred >= address spaces created and exited, in every workload"
	}
	if (nload > 0) {
		print ""
		print "Lag (microseconds of TSC at " mhz " MHz): fork() -> creation seen, exit() -> exit seen"
		printf "%-6s %5s | %10s %10s %10s | %10s %10s %10s\n", "load", "n", "create p50", "mean", "max", "exit p50", "mean", "max"
		if (lagcsv != "") print "load,i,fork_tsc,create_tsc,exit_tsc,exit_seen_tsc,create_lag_us,exit_lag_us" > lagcsv
		for (k = 0; k < nload; k++) {
			L = loads[k]
			# the inferred events inside this run's window, in time order
			n1 = 0; for (j = 0; j < nc; j++) if (ctsc[j] >= lws[L] && ctsc[j] <= lwe[L]) c1[n1++] = ctsc[j]
			# exits: those emptied in the window, confirmed whenever (see the top)
			n2 = 0; for (j = 0; j < nx; j++) if (xclr[j] >= lws[L] && xclr[j] < lwe[L]) x1[n2++] = xtsc[j]
			isort(c1, n1); isort(x1, n2)
			n = ln[L]; if (n1 < n) n = n1; if (n2 < n) n = n2
			sc = 0; sx = 0; mc = 0; mx = 0
			for (i = 0; i < n; i++) {
				cl[i] = us(c1[i] - ft[L, i]); xl[i] = us(x1[i] - et[L, i])
				sc += cl[i]; sx += xl[i]; if (cl[i] > mc) mc = cl[i]; if (xl[i] > mx) mx = xl[i]
				if (lagcsv != "") printf "%s,%d,%.0f,%.0f,%.0f,%.0f,%.1f,%.1f\n", L, i, ft[L, i], c1[i], et[L, i], x1[i], cl[i], xl[i] > lagcsv
			}
			if (n == 0) { printf "%-6s %5d | no events matched\n", L, 0; continue }
			isort(cl, n); isort(xl, n)
			printf "%-6s %5d | %10.1f %10.1f %10.1f | %10.1f %10.1f %10.1f%s\n", L, n, cl[int(n / 2)], sc / n, mc,
				xl[int(n / 2)], sx / n, mx, (n1 != ln[L] || n2 != ln[L]) ? sprintf("  (forks %d, creates %d, exits %d)", ln[L], n1, n2) : ""
		}
	}
	if (no > 0) {
		print ""
		print "Inference overhead (guest TSC, same boot, runs alternating on/off)"
		print "(on/off: of the mean times; median: of the rounds' own on/off ratios, which is"
		print " less moved by one slow run, e.g. the first after a cold start of the shadow cache)"
		printf "%-10s %6s %14s %14s %9s %9s\n", "workload", "runs", "on (ms)", "off (ms)", "on/off", "median"
		for (k = 0; k < no; k++) {
			w = oorder[k]
			on = osum[w, "on"] / ocnt[w, "on"]; off = osum[w, "off"] / ocnt[w, "off"]
			nr = 0
			for (r = 0; r < onr[w]; r++)
				if (ot[w, r, "on"] > 0 && ot[w, r, "off"] > 0) rr[nr++] = ot[w, r, "on"] / ot[w, r, "off"]
			isort(rr, nr)
			med = nr % 2 ? rr[int(nr / 2)] : (rr[nr / 2 - 1] + rr[nr / 2]) / 2
			printf "%-10s %3d+%-2d %14.1f %14.1f %9.4f %9.4f  (%+.2f%% / %+.2f%%)\n", w, ocnt[w, "on"], ocnt[w, "off"],
				us(on) / 1000, us(off) / 1000, on / off, med, (on / off - 1) * 100, (med - 1) * 100
		}
	}
}
