# zsh only
TRAPUSR1() { print "trap function USR1" }
kill -USR1 $$
a=(one two three); print -l ${a[2]} ${#a} ${(j:,:)a} ${(U)a[1]}
v=a:b:c; print ${(s.:.)v}
repeat 2 print again
print -r -- ${${:-hello}/l/L}
diff <(print a) <(print b); print "diff=$?"
cat =(print temp file) 
zmodload zsh/mathfunc && print $(( sqrt(2.0) ))
typeset -A h; h=(k1 v1 k2 v2); print ${(ko)h}
integer i=7; (( i *= 6 )); print $i
sleep 0.1 &; wait; print "waited $?"
coproc cat; print -p hello; read -p reply; print "coproc: $reply"; kill %cat 2>/dev/null; kill $! 2>/dev/null
setopt no_nomatch; print nomatch*
print ${ZSH_VERSION%%.*}
ulimit -n
