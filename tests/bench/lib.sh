# tests/bench/lib.sh - what the comparison scripts share (sourced; sets
# no shell options).

# bench_median: the median of the numbers on stdin (one per line), or "-"
# if there are none.
bench_median() {
	sort -g | awk '{ v[n++] = $1 } END { if (!n) { print "-"; exit }
		print (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2 }'
}
