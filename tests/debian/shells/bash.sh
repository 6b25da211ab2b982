# bash only: process substitution (/dev/fd/N), coproc, mapfile, wait -n, read -t, {fd}
# redirections, resource limits.
diff <(printf 'a\nb\n') <(printf 'a\nc\n'); echo "diff=$?"
while read -r l; do echo "ps: $l"; done < <(seq 3)
cat /dev/stdin <<< "here-string via /dev/stdin"
read -t 1 x < /dev/null; echo "read-t=$?"
sleep 0.1 & sleep 0.3 & wait -n; echo "wait-n=$?"; wait
trap 'echo chld' CHLD; (exit 1); trap - CHLD
ulimit -n; ulimit -s
kill -l 15 2>&1
printf '%q\n' "a b'c"
coproc cat; echo hello >&"${COPROC[1]}"; read -r reply <&"${COPROC[0]}"; echo "coproc: $reply"
kill $COPROC_PID; wait $COPROC_PID; echo "coproc killed=$?"
mapfile -t arr < <(printf 'x\ny\n'); echo "${#arr[@]} ${arr[1]}"
exec {fd}>fdfile; echo via-fd >&$fd; exec {fd}>&-; cat fdfile
[[ abc == a* ]] && echo glob-match
declare -A m=([one]=1 [two]=2); echo "${m[two]} ${#m[@]}"
timeout 0.2 sleep 5; echo "timeout=$?"
echo "${PIPESTATUS[*]}"; false | true | (exit 3); echo "${PIPESTATUS[*]}"
