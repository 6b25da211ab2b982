trap 'echo got USR1' USR1
kill -USR1 $$
echo after USR1
trap 'echo got USR2; n=$((n + 1))' USR2
n=0
kill -USR2 $$; kill -USR2 $$
echo "n=$n"
(exit 3); echo "subshell=$?"
sh -c 'kill -TERM $$'; echo "killed TERM=$?"
( sh -c 'kill -KILL $$'; echo "killed KILL=$?" ) 2>/dev/null
sh -c 'echo started > started; exec sleep 10' & pid=$!
while [ ! -s started ]; do sleep 0.01; done
kill $pid
wait $pid; echo "wait killed sleep=$?"
trap 'echo "exit trap, status $?"' EXIT
trap 'echo "term trap"; exit 9' TERM
(kill -TERM $$; echo "not reached")
echo "after term"
