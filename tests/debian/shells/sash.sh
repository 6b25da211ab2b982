echo hello from sash
-echo builtin echo
setenv GREETING hi
printenv GREETING
echo one two three | tr a-z A-Z
-mkdir d1
-cp words.txt d1/w
-ls d1
-more d1/w
sort words.txt | uniq -c
-chmod 600 d1/w
-mv d1/w d1/x
-ls d1
-sum d1/x
-rm d1/x
-rmdir d1
cd nosuch
exit 3
