#!/usr/bin/env bash
# Copy benchmark (issue 8): copies a dataset of SIZE_GIB GiB (three quarters
# in one object, the rest in 64 equal objects) between two buckets owned by
# two different users of a real S3-compatible server on loopback (versitygw,
# posix backend), with modelpromote's Copier on its server-side and streamed
# paths, with the AWS CLI on both, and with cp on the backend's directories,
# each under /usr/bin/time -v. Verifies every copy with sha256sum on the
# backend's files and prints one table. See bench/README.md.
#
#   bash bench/copy.sh              # 4 GiB
#   SIZE_GIB=1 bash bench/copy.sh   # smaller
#   PAIRS=0 bash bench/copy.sh      # without the paired runs (farm-bench) after the table
#   CROSSOVER=1 bash bench/copy.sh  # also one object of each CROSSOVER_MIB size, in parts vs CopyObject
set -euo pipefail

SIZE_GIB=${SIZE_GIB:-4}
PAIRS=${PAIRS:-3}                       # farm-bench runs of each paired comparison (0: none)
CROSSOVER=${CROSSOVER:-0}
CROSSOVER_MIB=${CROSSOVER_MIB:-"64 128 256 768"}
VERSITYGW_VERSION=${VERSITYGW_VERSION:-v1.8.0}
PORT=${PORT:-17070}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/copybench.XXXXXX")
ENDPOINT=http://127.0.0.1:$PORT
SRC=bench-src DST=bench-dst PREFIX=model/
ADMIN_ACCESS=benchroot ADMIN_SECRET=benchroot-secret
SRC_ACCESS=srcuser SRC_SECRET=srcuser-secret
DST_ACCESS=dstuser DST_SECRET=dstuser-secret
VGW_PID=

log() { printf '== %s\n' "$*" >&2; }

cleanup() {
	if [ -n "$VGW_PID" ]; then kill "$VGW_PID" 2>/dev/null || true; wait "$VGW_PID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

# --- tools -----------------------------------------------------------------
if [ ! -x /usr/bin/time ] || ! command -v aws >/dev/null; then
	log "installing time and awscli (apt)"
	apt-get update -qq && apt-get install -y -qq time awscli >/dev/null
fi
# A pyenv shim costs a shell and a pyenv process per call; call the real aws.
AWS=$(pyenv which aws 2>/dev/null || command -v aws)
VGW=$(command -v versitygw || true)
if [ -z "$VGW" ] && [ -x "$(go env GOPATH)/bin/versitygw" ]; then VGW=$(go env GOPATH)/bin/versitygw; fi
if [ -z "$VGW" ]; then
	log "installing versitygw $VERSITYGW_VERSION (go install; our go.mod is not touched)"
	# v1.8.0 is the version the Go module proxy serves here (go list -m
	# -versions github.com/versity/versitygw lists only it).
	if ! (cd "$WORK" && GOFLAGS= go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"); then
		log "versitygw $VERSITYGW_VERSION could not be installed: no S3 server to measure against."
		log "The in-process benchmarks (go test -run '^\$' -bench Copy ./internal/aws/artifacts) run against the"
		log "emulator instead, and measure mostly the emulator (its MD5 ETags); see bench/README.md."
		exit 1
	fi
	VGW=$(go env GOPATH)/bin/versitygw
fi
log "building copybench"
(cd "$ROOT" && go build -o "$WORK/copybench" ./bench/copybench)

# --- server, users, buckets ------------------------------------------------
mkdir -p "$WORK/data" "$WORK/iam" "$WORK/cp"
log "starting versitygw on $ENDPOINT (data in $WORK/data)"
"$VGW" --port "127.0.0.1:$PORT" --access "$ADMIN_ACCESS" --secret "$ADMIN_SECRET" \
	--iam-dir "$WORK/iam" --quiet posix "$WORK/data" >"$WORK/versitygw.log" 2>&1 &
VGW_PID=$!
for _ in $(seq 100); do
	curl -s -o /dev/null "$ENDPOINT" && break
	sleep 0.1
done

admin() { "$VGW" admin --access "$ADMIN_ACCESS" --secret "$ADMIN_SECRET" --endpoint-url "$ENDPOINT" "$@"; }
export AWS_CONFIG_FILE=$WORK/aws-config AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_DEFAULT_REGION=us-east-1
printf '[default]\ns3 =\n  addressing_style = path\n' >"$AWS_CONFIG_FILE"
as_src() { AWS_ACCESS_KEY_ID=$SRC_ACCESS AWS_SECRET_ACCESS_KEY=$SRC_SECRET "$AWS" --endpoint-url "$ENDPOINT" "$@"; }
as_dst() { AWS_ACCESS_KEY_ID=$DST_ACCESS AWS_SECRET_ACCESS_KEY=$DST_SECRET "$AWS" --endpoint-url "$ENDPOINT" "$@"; }

admin create-user --access "$SRC_ACCESS" --secret "$SRC_SECRET" --role userplus
admin create-user --access "$DST_ACCESS" --secret "$DST_SECRET" --role userplus
as_src s3api create-bucket --bucket "$SRC" >/dev/null
as_dst s3api create-bucket --bucket "$DST" >/dev/null

# The target user may read the source only while this policy is on: that
# is what makes a copy server-side rather than streamed. (With a policy on
# its bucket, versitygw grants the owner only what the policy says.)
cat >"$WORK/policy.json" <<EOF
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Principal": {"AWS": ["$DST_ACCESS"]},
   "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::$SRC", "arn:aws:s3:::$SRC/*"]},
  {"Effect": "Allow", "Principal": {"AWS": ["$SRC_ACCESS"]},
   "Action": ["s3:*"], "Resource": ["arn:aws:s3:::$SRC", "arn:aws:s3:::$SRC/*"]}]}
EOF
grant() { as_src s3api put-bucket-policy --bucket "$SRC" --policy "file://$WORK/policy.json"; }
revoke() { as_src s3api delete-bucket-policy --bucket "$SRC"; }

COPYBENCH=("$WORK/copybench" -endpoint "$ENDPOINT" -src-access "$SRC_ACCESS" -src-secret "$SRC_SECRET"
	-dst-access "$DST_ACCESS" -dst-secret "$DST_SECRET" -src-bucket "$SRC" -dst-bucket "$DST" -prefix "$PREFIX")

# --- dataset ---------------------------------------------------------------
log "generating ${SIZE_GIB} GiB in s3://$SRC/$PREFIX"
t0=$(date +%s.%N)
# PARTS: what the check binds beside each SHA-256 for objects it reads
# over 128 MiB: the composite SHA-256 of their canonical parts.
"${COPYBENCH[@]}" -generate -size-mib $((SIZE_GIB * 1024)) -parts-out "$WORK/PARTS" >"$WORK/SHA256SUMS"
log "generated $(wc -l <"$WORK/SHA256SUMS") objects in $(echo "$(date +%s.%N) - $t0" | bc) s"
BYTES=$(find "$WORK/data/$SRC/$PREFIX" -type f -printf '%s\n' | awk '{s += $1} END {printf "%.0f\n", s}')
(cd "$WORK/data/$SRC/$PREFIX" && sha256sum --quiet -c "$WORK/SHA256SUMS")

# --- variants --------------------------------------------------------------
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
server_cpu() { awk '{print $14 + $15}' "/proc/$VGW_PID/stat"; }
printf 'variant\tseconds\tpeak_rss_kib\tclient_cpu_s\tserver_cpu_s\tpath\tsha256_by\n' >"$WORK/results.tsv"

# run NAME DIR PATH BY -- CMD...: times CMD, checks the copy in DIR against
# SHA256SUMS, and records a row. BY says who computes the copy's SHA-256;
# for copybench it is read from its output (copies it had to hash itself,
# where the server returned no checksum of a copy, are counted there).
run() {
	local name=$1 dir=$2 path=$3 by=$4
	shift 5
	sync
	log "$name"
	local c0 t0 t1 c1
	c0=$(server_cpu)
	t0=$(date +%s.%N)
	/usr/bin/time -v -o "$WORK/time.txt" "$@" >"$WORK/out.txt"
	t1=$(date +%s.%N)
	c1=$(server_cpu)
	cat "$WORK/out.txt" >&2
	if [ "$by" = copybench ]; then
		local hashed
		hashed=$(sed -n 's/.*"hashed":\([0-9]*\).*/\1/p' "$WORK/out.txt")
		local inparts
		inparts=$(sed -n 's/.*"in_parts":\([0-9]*\).*/\1/p' "$WORK/out.txt")
		if [ "$path" = streamed ]; then by="process, 1 pass"
		elif [ "${inparts:-0}" != 0 ] && [ "${hashed:-0}" = 0 ]; then by="S3 (parts: $inparts by composite)"
		elif [ "${hashed:-0}" = 0 ]; then by="S3 (the server)"
		else by="process: $hashed of $(wc -l <"$WORK/SHA256SUMS") read"; fi
	fi
	(cd "$dir" && sha256sum --quiet -c "$WORK/SHA256SUMS") || { log "$name: SHA-256 mismatch"; exit 1; }
	local rss cpu
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
	cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$WORK/time.txt")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(echo "$t1 - $t0" | bc)" "$rss" "$cpu" \
		"$(echo "($c1 - $c0) / $(getconf CLK_TCK)" | bc -l)" "$path" "$by" >>"$WORK/results.tsv"
}
clear_dst() { as_dst s3 rm --quiet --recursive "s3://$DST/$PREFIX"; }
KEYS=$(awk -v p="$PREFIX" '{print p $2}' "$WORK/SHA256SUMS")

run "cp (same disk)" "$WORK/cp/$PREFIX" "-" "-" -- cp -r "$WORK/data/$SRC/$PREFIX" "$WORK/cp/"
rm -rf "${WORK:?}/cp"

grant
run "modelpromote server-side, digest unknown" "$WORK/data/$DST/$PREFIX" server-side copybench -- \
	"${COPYBENCH[@]}" -label server-side -expect-path server-side
clear_dst
run "modelpromote server-side, digest known" "$WORK/data/$DST/$PREFIX" server-side copybench -- \
	"${COPYBENCH[@]}" -label server-side-digest -expect-path server-side -digests "$WORK/SHA256SUMS"
clear_dst
# Model data as apply copies it now: the check read it (S3 keeps no full
# SHA-256) and bound its SHA-256 and, over 128 MiB, the composite SHA-256
# of its 32 MiB parts; apply copies those parts in parallel and verifies
# S3's part SHA-256s against the composite, reading nothing.
run "modelpromote server-side, check-bound parts" "$WORK/data/$DST/$PREFIX" server-side copybench -- \
	"${COPYBENCH[@]}" -label server-side-bound-parts -digests "$WORK/SHA256SUMS" -bound-parts "$WORK/PARTS"
clear_dst
# The large object as parallel UploadPartCopy (8 MiB parts, 4
# in flight), the source read to check the parts' SHA-256 against the
# digest (S3 keeps no full-object SHA-256 of a multipart copy).
run "modelpromote server-side, known, in parts" "$WORK/data/$DST/$PREFIX" server-side copybench -- \
	"${COPYBENCH[@]}" -label server-side-parts -digests "$WORK/SHA256SUMS" -copy-parts-above-mib 8
clear_dst
run "aws s3 cp --recursive" "$WORK/data/$DST/$PREFIX" server-side "none (no end-to-end SHA-256)" -- \
	env AWS_ACCESS_KEY_ID=$DST_ACCESS AWS_SECRET_ACCESS_KEY=$DST_SECRET \
	"$AWS" --endpoint-url "$ENDPOINT" s3 cp --quiet --recursive "s3://$SRC/$PREFIX" "s3://$DST/$PREFIX"
clear_dst

# --- paired runs (farm-bench): ours and the CLI in turn, ratios pair by pair
# Each run deletes the target's files on the posix backend first (no S3
# call), so that neither side skips an existing copy.
if [ "$PAIRS" -gt 0 ] && command -v farm-bench >/dev/null; then
	rmdst="rm -rf $WORK/data/$DST/$PREFIX"
	CLI_CMD="sh -c '$rmdst; AWS_ACCESS_KEY_ID=$DST_ACCESS AWS_SECRET_ACCESS_KEY=$DST_SECRET exec $AWS --endpoint-url $ENDPOINT s3 cp --quiet --recursive s3://$SRC/$PREFIX s3://$DST/$PREFIX'"
	OURS_PARTS="$rmdst; exec ${COPYBENCH[*]} -digests $WORK/SHA256SUMS -bound-parts $WORK/PARTS >>$WORK/pairs.out 2>&1"
	OURS_OBJECT="$rmdst; exec ${COPYBENCH[*]} >>$WORK/pairs.out 2>&1"
	pair() { # NAME A-SCRIPT B-COMMAND
		log "paired: $1"
		local c0 c1
		c0=$(server_cpu)
		farm-bench -n "$PAIRS" --warmup 1 --timeout 3600 --vs "$3" -- sh -c "$2" >"$WORK/pair.txt" 2>&1 || true
		c1=$(server_cpu)
		{
			echo "### $1"
			grep -E '^(farm-bench|A exit|B exit|A cpu|B cpu|A wall|B wall|A peak|B peak|A/B cpu|A/B wall)' "$WORK/pair.txt"
			echo "server CPU s, both sides, warm-up included: $(echo "($c1 - $c0) / $(getconf CLK_TCK)" | bc -l | cut -c1-6)"
		} >>"$WORK/pairs.txt"
	}
	pair "server-side, check-bound parts (A) vs aws s3 cp --recursive (B)" "$OURS_PARTS" "$CLI_CMD"
	pair "server-side, digest unknown: one CopyObject per object (A) vs aws s3 cp --recursive (B)" "$OURS_OBJECT" "$CLI_CMD"
	pair "server-side, check-bound parts (A) vs one CopyObject per object (B)" "$OURS_PARTS" "sh -c '$OURS_OBJECT'"
	rm -rf "${WORK:?}/data/$DST/$PREFIX"
fi

# --- crossover: one object of each size, 32 MiB parts vs CopyObject ----------
if [ "$CROSSOVER" = 1 ] && command -v farm-bench >/dev/null; then
	for mib in $CROSSOVER_MIB; do
		p=x$mib/
		"${COPYBENCH[@]}" -prefix "$p" -generate -single-mib "$mib" -part-mib 32 -parts-out "$WORK/PARTS.$mib" >"$WORK/SUMS.$mib"
		rmx="rm -rf $WORK/data/$DST/x$mib"
		c0=$(server_cpu)
		farm-bench -n "${PAIRS/#0/3}" --warmup 1 --timeout 3600 \
			--vs "sh -c '$rmx; exec ${COPYBENCH[*]} -prefix $p -digests $WORK/SUMS.$mib >>$WORK/pairs.out 2>&1'" -- \
			sh -c "$rmx; exec ${COPYBENCH[*]} -prefix $p -digests $WORK/SUMS.$mib -bound-parts $WORK/PARTS.$mib >>$WORK/pairs.out 2>&1" >"$WORK/pair.txt" 2>&1 || true
		c1=$(server_cpu)
		{
			echo "### crossover: one $mib MiB object, 32 MiB parts (A) vs one CopyObject (B)"
			grep -E '^(A exit|B exit|A wall|B wall|A/B wall)' "$WORK/pair.txt"
			echo "server CPU s, both sides, warm-up included: $(echo "($c1 - $c0) / $(getconf CLK_TCK)" | bc -l | cut -c1-6)"
		} >>"$WORK/pairs.txt"
	done
fi

revoke
if as_dst s3api head-object --bucket "$SRC" --key "$(head -1 <<<"$KEYS")" >/dev/null 2>&1; then
	log "the target user can still read the source: streamed variants would not stream"
	exit 1
fi
run "modelpromote streamed, 4 objects at once" "$WORK/data/$DST/$PREFIX" streamed copybench -- \
	"${COPYBENCH[@]}" -label streamed -expect-path streamed
clear_dst
# The same, one object at a time: one Copy's memory bound.
run "modelpromote streamed, 1 object at a time" "$WORK/data/$DST/$PREFIX" streamed copybench -- \
	"${COPYBENCH[@]}" -label streamed-1 -expect-path streamed -objects 1
clear_dst
# One pipeline per object, 4 at a time like modelpromote's 4 objects.
export AWS ENDPOINT SRC DST SRC_ACCESS SRC_SECRET DST_ACCESS DST_SECRET
run "aws s3 cp - (piped, 4 objects at once)" "$WORK/data/$DST/$PREFIX" streamed "none (no end-to-end SHA-256)" -- \
	bash -c 'xargs -P 4 -I{} bash -c '\''set -o pipefail
		AWS_ACCESS_KEY_ID=$SRC_ACCESS AWS_SECRET_ACCESS_KEY=$SRC_SECRET "$AWS" --endpoint-url "$ENDPOINT" s3 cp "s3://$SRC/$1" - |
		AWS_ACCESS_KEY_ID=$DST_ACCESS AWS_SECRET_ACCESS_KEY=$DST_SECRET "$AWS" --endpoint-url "$ENDPOINT" s3 cp --quiet - "s3://$DST/$1"'\'' _ {}' <<<"$KEYS"
clear_dst

# --- table -----------------------------------------------------------------
{
	echo "versitygw: $(go version -m "$VGW" | awk '$1 == "mod" {print $3}'), $("$AWS" --version 2>&1), $(go version | cut -d' ' -f3), load average at start: $LOAD0, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "dataset: $(wc -l <"$WORK/SHA256SUMS") objects, $BYTES bytes ($(echo "scale=2; $BYTES / 2^30" | bc) GiB); every copy verified with sha256sum"
	awk -F'\t' -v bytes="$BYTES" '
		NR == 1 { next }
		{ name[NR] = $1; secs[NR] = $2; rss[NR] = $3 / 1024; ccpu[NR] = $4; scpu[NR] = $5; path[NR] = $6; by[NR] = $7
		  if ($1 ~ /^cp /) cp = $2
		  if ($1 ~ /^aws/ && $6 == "server-side") awsss = $2
		  if ($1 ~ /^aws/ && $6 == "streamed") awsst = $2 }
		END {
			printf "| %-42s | %8s | %8s | %13s | %12s | %12s | %8s | %18s | %-28s |\n", "variant", "seconds", "MiB/s", "peak RSS MiB", "client CPU s", "server CPU s", "÷ cp", "÷ aws (same path)", "SHA-256 of the copy by"
			printf "|%s|%s:|%s:|%s:|%s:|%s:|%s:|%s:|%s|\n", "--------------------------------------------", "---------", "---------", "--------------", "-------------", "-------------", "---------", "-------------------", "------------------------------"
			for (i = 2; i <= NR; i++) {
				a = path[i] == "server-side" ? awsss : path[i] == "streamed" ? awsst : ""
				printf "| %-42s | %8.2f | %8.0f | %13.0f | %12.1f | %12.1f | %8.2f | %18s | %-28s |\n", name[i], secs[i], bytes / 1048576 / secs[i], rss[i], ccpu[i], scpu[i], secs[i] / cp, a == "" ? "-" : sprintf("%.2f", secs[i] / a), by[i]
			}
		}' "$WORK/results.tsv"
	echo "(÷ columns: the variant's wall time divided by cp's, and by the AWS CLI's on the same path; peak RSS is the largest single process's)"
	if [ -s "$WORK/pairs.txt" ]; then
		echo
		echo "Paired runs (farm-bench -n $PAIRS: A and B in turn; quote the median of the pair ratios A/B, min and max beside it):"
		cat "$WORK/pairs.txt"
	fi
}
