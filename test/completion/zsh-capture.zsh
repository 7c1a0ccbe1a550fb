# zsh -f zsh-capture.zsh SCRIPT LINE: types LINE and a TAB into an interactive zsh on a pseudo-terminal
# (zsh/zpty), with compinit and the completion SCRIPT loaded, and prints every match zsh's completion
# system adds, one per line: compadd is wrapped only to note what it adds (compadd -O gives the
# matches after zsh's own prefix matching); everything else is zsh's own machinery.
zmodload zsh/zpty || exit 3
local script=$1 line=$2 out chunk i
zpty z zsh -f -i
zpty -w z 'PROMPT= RPROMPT= PS2= ; setopt nobeep; LISTMAX=100000'
zpty -w z 'autoload -Uz compinit && compinit -u -D'
zpty -w z "source ${(q)script}"
# READY and END are built by arithmetic, so the echo of these lines never looks like output
local matches=$(mktemp)
zpty -w z "compadd() { local -a __m; builtin compadd -O __m \"\$@\"; print -rl -- \"\${__m[@]}\" >> ${(q)matches}; builtin compadd \"\$@\"; }"
# wait until all of that has run: keys typed while zsh is still busy may be lost
zpty -w z 'print READY$((6*7))'
out=
for (( i = 0; i < 4000; i++ )); do
  if zpty -r -t z chunk; then
    out+=$chunk
    [[ $out == *READY42* ]] && break
  else
    sleep 0.01
  fi
done
[[ $out == *READY42* ]] || { print -u2 "zsh-capture: zsh did not start; output: $out"; exit 4; }
zpty -w -n z "${line}"$'\t'
zpty -w -n z $'\C-e\C-u'
zpty -w z 'print END$((6*7))'
out=
for (( i = 0; i < 4000; i++ )); do
  if zpty -r -t z chunk; then
    out+=$chunk
    [[ $out == *END42* ]] && break
  else
    sleep 0.01
  fi
done
zpty -d z
[[ $out == *END42* ]] || { print -u2 "zsh-capture: no END marker; output: $out"; exit 4; }
cat -- $matches
rm -f -- $matches
