(sleep 0.2; echo first > j1.out; exit 3) &
p1=$!
(echo second > j2.out; exit 4) &
p2=$!
wait $p2; echo "p2=$?"
wait $p1; echo "p1=$?"
cat j1.out j2.out
for i in 1 2 3; do (echo "bg $i" > bg$i.out) & done
wait
cat bg1.out bg2.out bg3.out
sleep 0.1 & sleep 0.1 &
wait
echo "all done $?"
false &
wait $!; echo "false bg=$?"
