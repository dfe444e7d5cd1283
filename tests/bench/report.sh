#!/bin/bash
# report.sh - tables and charts from the benchmark's result file.
#
#   report.sh text RESULTS SCENARIO META    the tables of one scenario (S0-S5),
#                                           or of "cpu" (load client vs server)
#   report.sh md RESULTS META FAILURES DIR  DIR/BENCHMARKS.md and DIR/bench/S*.svg
#
# make bench keeps the three files in DIR/bench/ (results.tsv, meta.tsv,
# failures.tsv), so "report.sh md bench/results.tsv bench/meta.tsv
# bench/failures.tsv ." in the source tree draws the same report again.
#
# RESULTS is tests/bench/bench.sh's TSV: scenario, variant, server, round or
# statistic, value, unit. The unit names the quantity: MB/s, req/s and
# served are better higher; everything else (seconds, ms, us, MiB) lower.
# META holds "key<TAB>value" lines about the run; FAILURES "scenario,
# variant, server, round, text". Everything shown comes from these files,
# so a report can be made again from a kept results.tsv.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -uo pipefail
export LC_ALL=C

# columns(col): the servers seen (sseen, sorder, ns) in a fixed order,
# cloister first, into col[1..]; returns how many.
COLUMNS_AWK='
	function columns(col,    fixed, i, n, f) {
		split("cloister tftp-hpa atftpd dnsmasq raw-udp", fixed, " ")
		n = 0
		for (i = 1; i <= 5; i++) if (fixed[i] in sseen) col[++n] = fixed[i]
		for (i = 1; i <= ns; i++) {
			f = sorder[i]
			if (f != "cloister" && f != "tftp-hpa" && f != "atftpd" && f != "dnsmasq" && f != "raw-udp")
				col[++n] = f
		}
		return n
	}'

# The tables: one per scenario and unit, with a title.
table_list() {
	case $1 in
	S0) echo "MB/s|raw UDP, MB/s" ;;
	S1)
		echo "MB/s|throughput, MB/s"
		echo "server_cpu_s|server CPU, seconds per transfer"
		echo "client_cpu_s|load client CPU, seconds per transfer"
		;;
	S2)
		echo "MB/s|aggregate MB/s of the downloads served"
		echo "served|clients served"
		echo "wall_s|wall time from the start to the last client, s"
		echo "pss_MiB|peak Pss of all the server's processes, MiB"
		echo "server_cpu_s|server CPU, seconds per storm"
		;;
	S3)
		echo "req/s|requests per second"
		echo "p50_us|p50 latency of a transfer, us"
		echo "p99_us|p99 latency of a transfer, us"
		echo "server_cpu_s|server CPU, seconds per run"
		;;
	S4) echo "ms|transfer time, ms: median / worst" ;;
	S5)
		echo "MB/s|throughput, MB/s"
		echo "server_cpu_s|server CPU, seconds per upload"
		;;
	esac
}

# table STYLE RESULTS SCENARIO UNIT TITLE: STYLE is text or md.
table() {
	awk -F'\t' -v style="$1" -v scen="$3" -v unit="$4" -v title="$5" -v runs_want="$(m loss_runs)" '
	'"$COLUMNS_AWK"'
	function hb(u) { return u == "MB/s" || u == "req/s" || u == "served" }
	function num(v) { return v ~ /^-?[0-9]+(\.[0-9]+)?$/ }
	function fmt(v) {
		if (!num(v)) return v
		v += 0
		if (v >= 100 || v == int(v) && v >= 10) return sprintf("%.0f", v)
		if (v >= 10) return sprintf("%.1f", v)
		if (v >= 1) return sprintf("%.2f", v)
		return sprintf("%.3f", v)
	}
	NR == 1 { next }
	$1 != scen || $6 != unit { next }
	{
		k = $2 SUBSEP $3
		if (!($2 in vseen)) { vseen[$2] = 1; vorder[++nv] = $2 }
		if (!($3 in sseen)) { sseen[$3] = 1; sorder[++ns] = $3 }
		if ($4 == "n/a") na[k] = $5
		else if ($4 ~ /^[0-9]+$/) rounds[k]++
		else st[k, $4] = $5
	}
	function cell(v, s,    k, med, c, r, p, t) {
		k = v SUBSEP s
		if (k in na) return "n/a: " na[k]
		if (!((k, "median") in st)) return "-"
		med = st[k, "median"]
		if (med == "failed")
			return "failed (" st[k, "failed"] " of " rounds[k] ")"
		if (scen == "S4") {
			t = fmt(med) " / " fmt(st[k, "worst"])
			if (st[k, "runs"] < runs_want + 0) t = t ", " st[k, "runs"] " of " runs_want " run"
			if ((k, "failed") in st) t = t ", " st[k, "failed"] " failed"
		} else {
			t = fmt(med)
			if (st[k, "min"] != st[k, "max"])
				t = t " (" fmt(st[k, "min"]) "–" fmt(st[k, "max"]) ")"
			if ((k, "failed") in st) t = t ", " st[k, "failed"] " of " rounds[k] " failed"
		}
		# The ratio: above 1, cloister is ahead of this peer.
		c = st[v SUBSEP "cloister", "median"]
		if (s != "cloister" && num(c) && num(med) && c > 0 && med > 0) {
			r = hb(unit) ? c / med : med / c
			t = t sprintf(" ×%.2f", r)
		}
		return t
	}
	END {
		if (nv == 0) exit
		n = columns(col)
		line[0, 0] = "variant"
		for (j = 1; j <= n; j++) line[0, j] = col[j]
		for (i = 1; i <= nv; i++) {
			line[i, 0] = vorder[i]
			for (j = 1; j <= n; j++) line[i, j] = cell(vorder[i], col[j])
		}
		if (style == "md") {
			printf "**%s**\n\n", title
			for (i = 0; i <= nv; i++) {
				printf "|"
				for (j = 0; j <= n; j++) printf " %s |", line[i, j]
				printf "\n"
				if (i == 0) { printf "|"; for (j = 0; j <= n; j++) printf "---|"; printf "\n" }
			}
			printf "\n"
			exit
		}
		# text: ASCII, so that byte counts are widths
		for (i = 0; i <= nv; i++)
			for (j = 0; j <= n; j++) {
				gsub("–", "-", line[i, j]); gsub("×", "x", line[i, j])
				if (length(line[i, j]) > w[j]) w[j] = length(line[i, j])
			}
		printf "%s %s\n", scen, title
		for (i = 0; i <= nv; i++) {
			printf "  "
			for (j = 0; j <= n; j++) printf("%-" w[j] "s  ", line[i, j])
			printf "\n"
		}
		printf "\n"
	}' "$2"
}

# The CPU the load client used beside the server's, per run (medians).
cpu_table() {
	awk -F'\t' -v style="$1" '
	'"$COLUMNS_AWK"'
	NR == 1 || ($1 != "S1" && $1 != "S3") || $4 != "median" { next }
	$6 == "client_cpu_s" || $6 == "server_cpu_s" {
		k = $1 ": " $2
		if ($6 == "client_cpu_s" && !(k in vseen)) { vseen[k] = 1; vorder[++nv] = k }
		if (!($3 in sseen)) { sseen[$3] = 1; sorder[++ns] = $3 }
		v[k, $3, $6] = $5
	}
	END {
		if (nv == 0) exit
		ns = columns(sorder)
		title = "CPU seconds per run, load client / server (medians; x: the server used that many times the client)"
		if (style == "md") {
			printf "**%s**\n\n| variant |", title
			for (j = 1; j <= ns; j++) printf " %s |", sorder[j]
			printf "\n|---|"
			for (j = 1; j <= ns; j++) printf "---|"
			printf "\n"
		} else {
			printf "%s\n", title
		}
		for (i = 1; i <= nv; i++) {
			k = vorder[i]
			if (style == "md") printf "| %s |", k; else printf "  %-72s", k
			for (j = 1; j <= ns; j++) {
				c = v[k, sorder[j], "client_cpu_s"]; s = v[k, sorder[j], "server_cpu_s"]
				t = "-"
				if (c != "" && s != "" && c != "failed" && s != "failed") {
					t = sprintf("%.3f / %.3f", c, s)
					if (c > 0) t = t sprintf(" x%.1f", s / c)
				}
				if (style == "md") printf " %s |", t; else printf "  %-9s %-22s", sorder[j], t
			}
			printf "\n"
		}
		printf "\n"
	}' "$2"
}

# ---------------------------------------------------------------------------
# Charts

# chart_data RESULTS SCENARIO UNIT [CEILING]: a tab-separated table for
# gnuplot: a short label, then median, low, high per server (cloister
# first); with CEILING, a last series: S0's best rate at the datagram size
# of the variant's block size. Missing values are "?". For S4 the bar is
# the median and the error bar goes to the worst (a failure: the timeout);
# with SHARE (6th argument), the bar is the share of failed runs, in %.
# With PERCENT (7th), values are in % of the number the variant's label
# starts with (S2: the clients of the storm).
chart_data() {
	awk -F'\t' -v scen="$2" -v unit="$3" -v ceiling="${4:-}" -v timeout_ms="${5:-0}" -v share="${6:-}" \
		-v percent="${7:-}" '
	function short(v) {
		sub(/^tftp-hpa tftp, no options/, "tftp-hpa 512", v)
		sub(/, no options/, " 512", v)
		sub(/^datagrams of /, "", v); sub(/ B, sendmmsg/, " sendmmsg", v); sub(/ B, UDP GSO/, " GSO", v)
		gsub(/, blksize /, " ", v); gsub(/, windowsize /, " w", v)
		sub(/ x busybox tftp/, " busybox", v); sub(/ x atftp/, " atftp", v)
		sub(/ requests in a row/, "", v); sub(/ clients at once, /, " clients x", v)
		sub(/ requests each/, "", v); sub(/^1 client, /, "1 client x", v)
		sub(/ % loss, /, "%: ", v); sub(/tftp-hpa tftp 512/, "tftp-hpa 512", v)
		return v
	}
	function datagram(v,    m) {
		if (v ~ /no options/) return 516
		if (match(v, /blksize [0-9]+/)) return substr(v, RSTART + 8, RLENGTH - 8) + 4
		return 0
	}
	NR == 1 { next }
	$1 == "S0" && $4 == "median" && $6 == "MB/s" && $5 ~ /^[0-9.]+$/ {
		if (match($2, /[0-9]+ B/)) {
			d = substr($2, RSTART, RLENGTH - 2) + 0
			if ($5 + 0 > ceil[d]) ceil[d] = $5 + 0
		}
	}
	$1 != scen || $6 != unit { next }
	{
		if (!($2 in vseen)) { vseen[$2] = 1; vorder[++nv] = $2 }
		if (!($3 in sseen)) { sseen[$3] = 1; sorder[++ns] = $3 }
		if ($4 !~ /^[0-9]+$/ && $4 != "n/a") st[$2, $3, $4] = $5
	}
	function val(x) { return x ~ /^[0-9.]+$/ ? x : "?" }
	function pct(x, c) { return x == "?" || c <= 0 ? "?" : sprintf("%.1f", 100 * x / c) }
	'"$COLUMNS_AWK"'
	END {
		n = columns(col)
		printf "# label"
		for (j = 1; j <= n; j++) printf "\t%s\t-\t-", col[j]
		if (ceiling != "") printf "\traw UDP\t-\t-"
		printf "\n"
		for (i = 1; i <= nv; i++) {
			v = vorder[i]
			printf "%s", short(v)
			for (j = 1; j <= n; j++) {
				m = val(st[v, col[j], "median"])
				if (scen == "S4" && share != "") {
					r = st[v, col[j], "runs"]
					f = (v SUBSEP col[j] SUBSEP "failed") in st ? st[v, col[j], "failed"] : 0
					m = r > 0 ? sprintf("%.0f", 100 * f / r) : "?"
					printf "\t%s\t%s\t%s", m, m, m
				} else if (scen == "S4") {
					w = st[v, col[j], "worst"]
					w = w == "failed" ? timeout_ms : val(w)
					printf "\t%s\t%s\t%s", m, m, w
				} else if (percent != "") {
					# of the count the label starts with ("500 x busybox ...")
					c = v + 0
					printf "\t%s\t%s\t%s", pct(m, c), pct(val(st[v, col[j], "min"]), c),
						pct(val(st[v, col[j], "max"]), c)
				} else {
					printf "\t%s\t%s\t%s", m, val(st[v, col[j], "min"]), val(st[v, col[j], "max"])
				}
			}
			if (ceiling != "") {
				d = datagram(v)
				c = (d in ceil) ? ceil[d] : "?"
				printf "\t%s\t%s\t%s", c, c, c
			}
			printf "\n"
		}
	}' "$1"
}

# plot_cmd DATAFILE: "plot ..." for every series in the file's header.
plot_cmd() {
	local dat=$1 cols i=2 name sep="" out="plot "
	local -A color=([cloister]='#1f77b4' [tftp-hpa]='#ff7f0e' [atftpd]='#2ca02c'
		[dnsmasq]='#d62728' ["raw UDP"]='#9a9a9a' [raw-udp]='#9a9a9a')
	IFS=$'\t' read -r -a cols < <(sed -n '1s/^# //p' "$dat")
	for ((i = 1; i < ${#cols[@]}; i += 3)); do
		name=${cols[$i]}
		out+="$sep\"$dat\" using $((i + 1)):$((i + 2)):$((i + 3))"
		[ "$i" = 1 ] && out+=":xtic(1)"
		out+=" title \"$name\" lc rgb \"${color[$name]:-#8c564b}\""
		sep=", "
	done
	echo "$out"
}

gnuplot_head() {
	cat <<EOF
set terminal svg size $1,$2 dynamic enhanced font "Helvetica,11" background rgb "white"
set output "$3"
set datafile separator "\t"
set datafile missing "?"
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.9 border rgb "#444444"
set key outside right top vertical noenhanced
set xtics rotate by 30 right scale 0 nomirror font ",10" noenhanced
set ytics nomirror
set grid ytics lc rgb "#dddddd"
set border 3
set bars small
EOF
}

# panel DATAFILE TITLE YLABEL log|lin [NOTE]: one plot.
panel() {
	echo "set title \"$2\\n(${5:-no bar: failed or n/a, see the table})\" noenhanced"
	echo "set ylabel \"$3\""
	if [ "$4" = log ]; then
		# From the power of ten below the smallest value: an autoscaled
		# log axis may start at a bar's own height and hide it.
		echo "set logscale y"
		echo "set yrange [$(awk -F'\t' '!/^#/ {for (i = 2; i <= NF; i++) if ($i ~ /^[0-9.]+$/ && $i > 0 && (m == "" || $i + 0 < m)) m = $i + 0}
			END {if (m == "") m = 1; x = log(m) / log(10) - 1e-9; c = int(x); if (c < x) c++; print 10 ^ (c - 1)}' "$1"):*]"
	else
		echo "unset logscale y"
		echo "set yrange [0:*]"
	fi
	plot_cmd "$1"
}

charts() {
	local results=$1 dir=$2 tmp=$3 meta=$4 t
	t=$(awk -F'\t' '$1 == "loss_timeout" {print $2 * 1000}' "$meta")
	mkdir -p "$dir/bench"
	rm -f "$dir"/bench/S?.svg # a scenario not run has no chart
	have_scen() { awk -F'\t' -v s="$1" '$1 == s {f = 1} END {exit !f}' "$results"; }
	if have_scen S0; then
		chart_data "$results" S0 MB/s >"$tmp/S0.dat"
		{ gnuplot_head 760 420 "$dir/bench/S0.svg"; panel "$tmp/S0.dat" \
			"S0: raw UDP over loopback (median, bar: min-max)" "MB/s" lin; } >"$tmp/S0.gp"
	fi
	if have_scen S1; then
		chart_data "$results" S1 MB/s ceiling >"$tmp/S1.dat"
		{ gnuplot_head 1200 560 "$dir/bench/S1.svg"; panel "$tmp/S1.dat" \
			"S1: one 256 MiB RRQ over loopback (median, bar: min-max; raw UDP: S0 at the same datagram size)" \
			"MB/s (log scale)" log; } >"$tmp/S1.gp"
	fi
	if have_scen S2; then
		# The share served first: the rate counts only the clients served.
		chart_data "$results" S2 served "" "" "" percent >"$tmp/S2a.dat"
		chart_data "$results" S2 MB/s >"$tmp/S2b.dat"
		chart_data "$results" S2 pss_MiB >"$tmp/S2c.dat"
		{ gnuplot_head 1500 480 "$dir/bench/S2.svg"; echo "set multiplot layout 1,3"
			panel "$tmp/S2a.dat" "S2: clients served" "% of the clients" lin
			echo "unset key"
			panel "$tmp/S2b.dat" "S2: aggregate MB/s of the downloads served" "MB/s" lin
			panel "$tmp/S2c.dat" "S2: peak Pss of the server's processes" "MiB (log scale)" log
			echo "unset multiplot"; } >"$tmp/S2.gp"
	fi
	if have_scen S3; then
		chart_data "$results" S3 req/s >"$tmp/S3a.dat"
		chart_data "$results" S3 p99_us >"$tmp/S3b.dat"
		{ gnuplot_head 1200 480 "$dir/bench/S3.svg"; echo "set multiplot layout 1,2"
			panel "$tmp/S3a.dat" "S3: 4 KiB requests per second" "requests/s (log scale)" log
			echo "unset key"
			panel "$tmp/S3b.dat" "S3: p99 latency of a transfer" "microseconds (log scale)" log
			echo "unset multiplot"; } >"$tmp/S3.gp"
	fi
	if have_scen S4; then
		chart_data "$results" S4 ms "" "$t" >"$tmp/S4a.dat"
		chart_data "$results" S4 ms "" "$t" share >"$tmp/S4b.dat"
		{ gnuplot_head 1300 520 "$dir/bench/S4.svg"; echo "set multiplot layout 1,2"
			panel "$tmp/S4a.dat" \
				"S4: 4 MiB over a lossy link, median\\nline: up to the worst (a failure: the $((t / 1000)) s timeout)" \
				"ms (log scale)" log
			echo "unset key"
			panel "$tmp/S4b.dat" "S4: failed transfers" "% of the transfers run" lin \
				"no bar: none failed, or n/a"
			echo "unset multiplot"; } >"$tmp/S4.gp"
	fi
	if have_scen S5; then
		chart_data "$results" S5 MB/s ceiling >"$tmp/S5.dat"
		{ gnuplot_head 900 460 "$dir/bench/S5.svg"; panel "$tmp/S5.dat" \
			"S5: one 64 MiB WRQ over loopback (median, bar: min-max)" "MB/s (log scale)" log; } >"$tmp/S5.gp"
	fi
	for t in "$tmp"/S?.gp; do
		[ -e "$t" ] || continue
		gnuplot "$t" 2>"$t.err" || { cat "$t.err" >&2; return 1; }
	done
}

# ---------------------------------------------------------------------------
# BENCHMARKS.md

m() {
	awk -F'\t' -v k="$1" '$1 == k {print $2; exit}' "$META"
}

describe() {
	local rounds loss_runs budget timeout
	rounds=$(m rounds) loss_runs=$(m loss_runs) budget=$(m loss_budget) timeout=$(m timeout)
	case $1 in
	S0) cat <<EOF
How fast the kernel moves UDP over loopback here, with no TFTP at all: the
ceiling no server can pass. \`tests/bench/udp-ceiling\` sends 256 MiB to a
receiver process with a 64 MiB socket buffer, many datagrams per system call
(\`sendmmsg\`, or one UDP GSO super-packet per message), and keeps at most
8 MiB beyond what the receiver has reported, so nothing is lost at its
socket. $rounds rounds.
EOF
		;;
	S1) cat <<EOF
One 256 MiB download over loopback, checked with \`cmp\` (the load client
checks size and a 64-bit hash). Real clients: tftp-hpa's \`tftp\` without
options (512-byte blocks, lock-step), \`atftp --option "blksize N" --option
"windowsize W"\`; then the same options from our load client, which
receives into a 32 MiB socket buffer and takes what is queued with one
\`recvmmsg\` call. A window a server does not grant is not run again (the
lock-step row has that figure). $rounds rounds, the servers taking turns
within each round; a client run that fails or takes more than
$(m timeout) s is a failure, and a cell that timed out is not run again in
later rounds. After each run the bench waits until no transfer socket is
left, so that a transfer a server still retries cannot reach the next
client. The raw UDP bars are S0 at the same datagram size (blksize + 4).
EOF
		;;
	S2) cat <<EOF
128 and 500 client processes started at once (they wait on a fifo, then
all are released), each downloading one 8 MiB image: \`busybox tftp -b 1468\`
(lock-step) and \`atftp --option "windowsize 16" --option "blksize 1468"\`.
Each storm hits a freshly started server. Every output is compared with
\`cmp\`; "served" counts the identical ones, the aggregate MB/s counts only
their bytes over the wall time from the release to the last client's exit.
Pss (shared pages divided among the processes sharing them) is summed over
the server and all its descendants every 50 ms (\`tests/bench/proctree\`);
the peak is shown. Each client may take $((${timeout:-0} * 2)) s. $rounds rounds.
EOF
		;;
	S3) cat <<EOF
4 KiB files, a new UDP socket per request as a boot loader does, from our
load client: one client making 1000 requests in a row, and 32 clients at
once making 100 each; without options (512-byte blocks) and with blksize
4096. Latency is per transfer, from the request to the last ACK. A run in
which any request failed is a failure; after each run the bench waits
until no transfer socket is left. $rounds rounds.
EOF
		;;
	S4) cat <<EOF
4 MiB downloads between two network namespaces joined by a veth pair,
with $loss_runs transfers per cell, each with a timeout of $(m loss_timeout) s
(a timeout is a failure, ranked below every finished transfer: a median
that lands on one is "failed"). nftables drops 1 % or 5 % of UDP on input
in both namespaces, so 1 % or 5 % each way (measured: $(m "S4 measured loss at 1 %") and
$(m "S4 measured loss at 5 %")). The drop is on input only: a drop on output makes the
sender's \`sendto()\` fail with EPERM, which no real network does and which
tftp-hpa, busybox and atftp treat as fatal. The veths carry one datagram
per packet (\`gso_max_segs 1\`), so a window sent with UDP GSO is lost
datagram by datagram, as on a real link. As in tests/integration/loss.sh,
ACK 0 (the answer to an OACK) is never dropped: atftp 0.8 aborts when a
server resends its OACK, a client bug. The four servers run at once in
the server namespace on their own ports (dnsmasq on 69), each serving one
client at a time; the variants take turns, and a server gets no new
transfer after $budget s per loss rate (then its cell says how many ran).
atftp and busybox use blksize 1468; tftp-hpa's \`tftp\` has no options.
EOF
		;;
	S5) cat <<EOF
One 64 MiB upload over loopback, compared with \`cmp\` once the client has
finished: \`atftp -p\` with blksize 1468, lock-step and windowsize 16, and
tftp-hpa's \`tftp -c put\` (512-byte blocks, lock-step). cloister runs with
\`--create --overwrite\` (it refuses uploads otherwise), in.tftpd with \`-c\`;
the upload directory is writable by every server's user. dnsmasq cannot
receive uploads. $rounds rounds.
EOF
		;;
	esac
}

write_md() {
	local results=$1 failures=$3 dir=$4 s spec unit title n
	{
		echo "# Benchmarks"
		echo
		echo "Generated by \`make bench\` (tests/bench/bench.sh, tests/bench/report.sh) from"
		echo "[bench/results.tsv](bench/results.tsv), [meta.tsv](bench/meta.tsv) and"
		echo "[failures.tsv](bench/failures.tsv): run it again rather than edit this file."
		echo
		echo "| | |"
		echo "|---|---|"
		echo "| date | $(m date) |"
		echo "| machine | $(m nproc) cores, $(m cpu), $(m memory) |"
		echo "| system | $(m kernel), $(m distribution) |"
		echo "| commit | $(m commit) |"
		echo "| command | \`$(m command)\` |"
		echo "| duration | $(m duration) ($(awk -F'\t' '$1 ~ /^duration S/ {sub(/^duration /, "", $1); printf "%s%s %s", sep, $1, $2; sep = ", "}' "$META")) |"
		echo "| idle CPUs | $(m cpu_idle) |"
		[ -n "$(m quick)" ] && echo "| quick | $(m quick) |"
		echo
		echo "How to read the tables: each cell is the median over the rounds with the"
		echo "min–max in parentheses; ×N after a peer's figure is cloister's advantage"
		echo "over that peer (cloister's rate divided by the peer's; for times, latency,"
		echo "memory and CPU the peer's divided by cloister's): above 1 cloister is"
		echo "ahead, below 1 the peer is. A failed round ranks below every successful"
		echo "one; \"n/a\" says why a cell was not run. MB = 10^6 bytes. The charts"
		echo "show the same medians and ranges; a missing bar is a failure or n/a."
		echo
		echo "Everything runs in a network namespace of its own on its loopback (S4:"
		echo "namespaces joined by veth pairs), one server at a time, each in a cgroup"
		echo "of its own for its CPU time ($(m cpu_accounting)). Our tftpd runs with its"
		echo "defaults (plus \`--create --overwrite\` for uploads); the peers as below."
		echo "Idle CPUs poll rather than halt during the run (\`/dev/cpu_dma_latency\`"
		echo "held at 0): lock-step TFTP over loopback is one wake-up per block, and in"
		echo "a virtual machine waking a halted vCPU made every server's lock-step"
		echo "figures 5 to 7 times lower and dependent on what else ran on the host."
		echo
		echo "| server | version | command line |"
		echo "|---|---|---|"
		echo "| cloister | $(m commit) | \`$(m "settings cloister")\` |"
		echo "| tftp-hpa | $(m "version tftp-hpa") | \`$(m "settings tftp-hpa")\` |"
		echo "| atftpd | $(m "version atftpd") | \`$(m "settings atftpd")\` |"
		echo "| dnsmasq | $(m "version dnsmasq") | \`$(m "settings dnsmasq")\` |"
		echo
		echo "atftpd's \`--maxthread\` (default 100) and dnsmasq's \`--tftp-max\` (default 50)"
		echo "are raised as an operator expecting a storm of 500 clients would; uploads"
		echo "add \`-c\` to in.tftpd. Clients: atftp $(m "version atftp"), tftp-hpa's tftp"
		echo "$(m "version tftp-hpa tftp"), $(m "version busybox"); charts by $(m "version gnuplot")."
		echo
		echo "What each server grants to a read request asking for blksize 65464,"
		echo "windowsize 64 and tsize:"
		echo
		awk -F'\t' '$1 ~ /^grants / && $1 !~ /WRQ/ {sub(/^grants /, "", $1); printf "- %s: %s\n", $1, $2}' "$META"
		awk -F'\t' '$1 ~ /^grants .* WRQ/ {sub(/^grants /, "", $1); printf "- %s: %s\n", $1, $2}' "$META"
		echo
		for s in S0 S1 S2 S3 S4 S5; do
			awk -F'\t' -v s="$s" '$1 == s {f = 1} END {exit !f}' "$results" || continue
			case $s in
			S0) title="the ceiling: raw UDP" ;;
			S1) title="one 256 MiB RRQ" ;;
			S2) title="storms" ;;
			S3) title="small files" ;;
			S4) title="loss" ;;
			S5) title="uploads" ;;
			esac
			echo "## $s: $title"
			echo
			describe "$s"
			echo
			while IFS='|' read -r unit spec; do
				table md "$results" "$s" "$unit" "$spec"
			done < <(table_list "$s")
			echo "![$s: $title](bench/$s.svg)"
			echo
		done
		if awk -F'\t' '$6 == "client_cpu_s" {f = 1} END {exit !f}' "$results"; then
			echo "## CPU: the load client beside the server"
			echo
			echo "What our load client cost compared with the server it measured: its own"
			echo "CPU time (\`getrusage\`) and the server's (its cgroup), per run."
			echo
			cpu_table md "$results"
		fi
		echo "## What did not work"
		echo
		n=$(grep -c . "$failures" 2>/dev/null)
		if [ "${n:-0}" = 0 ]; then
			echo "Every run succeeded."
		else
			echo "Each failed cell once (the first failure, with what the client and the"
			echo "server's log said), and how many of its rounds or runs failed:"
			echo
			awk -F'\t' '{
				k = $1 " | " $2 " | " $3
				if (!(k in first)) { first[k] = $5; order[++n] = k }
				count[k]++
			}
			END {
				print "| scenario | variant | server | failed | first failure |"
				print "|---|---|---|---|---|"
				for (i = 1; i <= n; i++) {
					t = first[order[i]]; gsub(/\|/, "/", t)
					printf "| %s | %d | %s |\n", order[i], count[order[i]], t
				}
			}' "$failures"
		fi
		echo
	} >"$dir/BENCHMARKS.md.tmp" && mv "$dir/BENCHMARKS.md.tmp" "$dir/BENCHMARKS.md"
}

case ${1:-} in
text)
	[ $# -eq 4 ] || { echo "usage: report.sh text RESULTS SCENARIO META" >&2; exit 2; }
	META=$4
	if [ "$3" = cpu ]; then
		cpu_table text "$2"
		exit 0
	fi
	while IFS='|' read -r unit spec; do
		table text "$2" "$3" "$unit" "$spec"
	done < <(table_list "$3")
	;;
md)
	[ $# -eq 5 ] || { echo "usage: report.sh md RESULTS META FAILURES DIR" >&2; exit 2; }
	META=$3
	tmp=$(mktemp -d) || exit 1
	trap 'rm -rf "$tmp"' EXIT
	charts "$2" "$5" "$tmp" "$3" || exit 1
	write_md "$2" "$3" "$4" "$5"
	;;
*)
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
