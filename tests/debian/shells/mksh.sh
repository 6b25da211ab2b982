# mksh only
typeset -i n=5; (( n *= 3 )); print $n
set -A arr x y z; print ${#arr[*]} ${arr[1]}
print -r -- "raw \n"
cat |&
print -p from coprocess
read -p line; print "got: $line"
exec 3>&p; exec 3>&-
wait
x=$(print -n abc); print ${#x} ${x@Q} 2>/dev/null || print ${#x}
function f { typeset local=1; return 4; }; f; print "f=$?"
print ${KSH_VERSION%% *}
trap 'print EXIT $?' EXIT
kill -USR2 $$ ; print not reached
