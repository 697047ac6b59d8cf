#!/usr/bin/env bash
# Times vipsthumbnail and photos.Process making the same six outputs from
# one photo: the thumb (400), medium (1000) and large (1600) sizes, each as
# JPEG and WebP. Prints both medians, their ratio and the Go side's peak
# RSS next to the targets that docs/performance.md records.
#
# Usage: bench/photos/compare.sh [FILE]
#   FILE defaults to the shared 3264×2448 phone photo.
#   RUNS (environment, default 10) sets the number of timed runs per side.
#
# Both sides use the package's settings: JPEG quality 82, WebP quality 80
# with libwebp method 2 (vips calls it effort), metadata stripped. vips runs
# its six commands one after another, each a new process using its own
# thread pool. The Go side runs in one process, after one untimed call that
# compiles the WebAssembly codecs.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
file=${1:-$repo/../shared/data/images/phone/iphone_hdr.jpg}
runs=${RUNS:-10}

if [[ ! -r $file ]]; then
	echo "compare.sh: cannot read $file; pass a photo as the first argument" >&2
	exit 1
fi
if ! command -v vipsthumbnail >/dev/null; then
	echo "compare.sh: installing libvips-tools for vipsthumbnail" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvips-tools >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

vips_once() {
	local box
	for box in 400 1000 1600; do
		vipsthumbnail "$file" --size "${box}x${box}" -o "$work/$box.jpg[Q=82,strip]"
		vipsthumbnail "$file" --size "${box}x${box}" -o "$work/$box.webp[Q=80,effort=2,strip]"
	done
}

# median reads one number a line and prints the median.
median() {
	sort -n | awk '{ v[NR] = $1 } END { printf "%.0f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The first run loads the libraries and the photo into the page cache.
vips_once
vips_ms=$(
	for _ in $(seq "$runs"); do
		start=$(date +%s%N)
		vips_once
		end=$(date +%s%N)
		echo $(((end - start) / 1000000))
	done | median
)

(cd "$repo" && go build -o "$work/photobench" ./bench/photos)
go_line=$("$work/photobench" -n "$runs" "$file")
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$go_line"; }
go_ms=$(field median_ms)
first_ms=$(field first_ms)
rss_mb=$(field peak_rss_mb)

verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo "NOT met"; fi; }
ratio=$(awk -v g="$go_ms" -v v="$vips_ms" 'BEGIN { printf "%.2f", g / v }')

echo "photo:  $file ($(vipsheader -f width "$file")×$(vipsheader -f height "$file")), $runs runs per side, $(nproc) cores"
echo "vipsthumbnail ($(vips --version)), 6 outputs: median $vips_ms ms"
echo "photos.Process, 6 outputs: median $go_ms ms (first call $first_ms ms)"
echo "ratio Go/vips: ${ratio}×   target ≤ 2.0×   $(verdict "$ratio <= 2.0")"
echo "Go peak RSS:   $rss_mb MB   target < 150 MB   $(verdict "$rss_mb < 150")"
