/**
 * `cfmesh completion bash|zsh|fish`: a script that hands each TAB to `cfmesh __complete` (complete.ts)
 * and turns its answer into the shell's completions. The same design as cobra's scripts (spf13/cobra
 * v1.10.2 bash_completionsV2.go, zsh_completions.go, fish_completions.go), written for cfmesh: the
 * words typed go to cfmesh as arguments (no eval), its stderr is dropped, and file and directory
 * names are left to the shell, which knows quoting and ~.
 */
import { ToolError } from '../../diagnostics/tool-error.ts';
import type { CommandContext } from '../context.ts';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const PROTOCOL = `# cfmesh answers each TAB itself: \`cfmesh __complete WORD...\` prints one candidate per line
# (VALUE, or VALUE<TAB>DESCRIPTION) and then :N, N a sum of: 1 offer nothing, 2 no space after
# the word, 4 no file names, 8 file names with the extensions listed, 16 directory names only.`;

const BASH = `# bash completion for cfmesh. Load it in this shell:   source <(cfmesh completion bash)
# or for every shell:   cfmesh completion bash > ~/.local/share/bash-completion/completions/cfmesh
${PROTOCOL}

_cfmesh_complete() {
    local i w rest trimmed pos=0 out directive cur value prefix= keep= brk= line c ext
    local -a words=() found=()
    COMPREPLY=()
    # The words as typed. bash also splits words at = and : (COMP_WORDBREAKS), so a word that follows
    # the previous one without a space is joined to it again: cfmesh sees --output=json, host:port.
    line=\${COMP_LINE:0:\${COMP_POINT:-\${#COMP_LINE}}}
    for ((i = 0; i <= COMP_CWORD; i++)); do
        w=\${COMP_WORDS[i]-}
        if [[ -n $line ]]; then
            rest=\${line:pos}
            trimmed=\${rest#"\${rest%%[![:space:]]*}"}
            pos=$((pos + \${#rest} - \${#trimmed} + \${#w}))
            if ((i > 0 && \${#words[@]} > 0)) && [[ \${#trimmed} -eq \${#rest} ]]; then
                words[\${#words[@]}-1]+=$w
                continue
            fi
        fi
        words+=("$w")
    done
    cur=\${words[\${#words[@]}-1]}
    out=$("\${words[0]}" __complete "\${words[@]:1}" 2>/dev/null) || return 0
    directive=\${out##*:}
    [[ $directive =~ ^[0-9]+$ ]] || return 0
    out=\${out%:*}
    ((directive & 1)) && return 0
    value=$cur
    if [[ $cur == -*=* ]]; then
        prefix=\${cur%%=*}=
        value=\${cur#*=}
    fi
    if ((directive & 24)); then
        # file or directory names: listed by bash, which also quotes them and marks directories
        mapfile -t found < <(compgen -d -- "$value")
        if ((directive & 8)); then
            while IFS= read -r ext; do
                [[ -n $ext ]] && mapfile -t -O \${#found[@]} found < <(compgen -f -X "!*.$ext" -- "$value")
            done <<<"$out"
        fi
        COMPREPLY=("\${found[@]}")
        compopt -o filenames 2>/dev/null
        return 0
    fi
    # bash replaces only the part of the word after its last = or : (when COMP_WORDBREAKS has them)
    [[ \${COMP_WORDBREAKS-} == *=* ]] && brk+='='
    [[ \${COMP_WORDBREAKS-} == *:* ]] && brk+=':'
    [[ -n $brk && $cur == *[$brk]* ]] && keep=\${cur%"\${cur##*[$brk]}"}
    while IFS= read -r c; do
        [[ -z $c ]] && continue
        c=$prefix\${c%%$'\\t'*}
        [[ $c == "$keep"* ]] && COMPREPLY+=("\${c#"$keep"}")
    done <<<"$out"
    if ((\${#COMPREPLY[@]} == 0)); then
        if ! ((directive & 4)); then
            mapfile -t COMPREPLY < <(compgen -f -- "$value")
            compopt -o filenames 2>/dev/null
        fi
        return 0
    fi
    ((directive & 2)) && compopt -o nospace 2>/dev/null
    return 0
}

complete -F _cfmesh_complete cfmesh
`;

const ZSH = `#compdef cfmesh
# zsh completion for cfmesh. Load it in this shell (compinit first):   source <(cfmesh completion zsh)
# or for every shell:   cfmesh completion zsh > "\${fpath[1]}/_cfmesh"
${PROTOCOL}

_cfmesh() {
    local out directive line
    local -a lines vals disp opts
    out=$("\${words[1]}" __complete "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
    lines=("\${(@f)out}")
    directive=\${lines[-1]#:}
    lines=("\${(@)lines[1,-2]}")
    [[ $directive == <-> ]] || return 1
    (( directive & 1 )) && return 1
    # --flag=VALUE: complete the value
    [[ \${words[CURRENT]} == -*=* ]] && compset -P '*='
    if (( directive & 16 )); then
        _files -/
        return
    fi
    if (( directive & 8 )); then
        _files -g "*.(\${(j:|:)lines})"
        return
    fi
    for line in "\${lines[@]}"; do
        [[ -z $line ]] && continue
        vals+=("\${line%%$'\\t'*}")
        if [[ $line == *$'\\t'* ]]; then
            disp+=("\${line%%$'\\t'*}  -- \${line#*$'\\t'}")
        else
            disp+=("$line")
        fi
    done
    if (( \${#vals} == 0 )); then
        (( directive & 4 )) || _files
        return
    fi
    (( directive & 2 )) && opts+=(-S '')
    compadd "\${opts[@]}" -l -d disp -a vals
}

if [[ \${funcstack[1]-} == _cfmesh ]]; then
    _cfmesh "$@"
elif (( $+functions[compdef] )); then
    compdef _cfmesh cfmesh
else
    print -u2 "cfmesh completion: run 'autoload -Uz compinit && compinit' first"
fi
`;

const FISH = `# fish completion for cfmesh. Load it in this shell:   cfmesh completion fish | source
# or for every shell:   cfmesh completion fish > ~/.config/fish/completions/cfmesh.fish
${PROTOCOL}

function __cfmesh_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    set -l out (command $tokens[1] __complete $tokens[2..-1] "$current" 2>/dev/null)
    or return
    set -l directive (string replace -r -- '^:' '' $out[-1])
    string match -qr -- '^[0-9]+$' $directive
    or return
    set -e out[-1]
    test (math "bitand($directive, 1)") -ne 0
    and return
    # --flag=VALUE: cfmesh answers with values, fish wants the whole word
    set -l prefix (string match -r -- '^-[^=]*=' "$current")
    set -l value (string replace -r -- '^-[^=]*=' '' "$current")
    if test (math "bitand($directive, 16)") -ne 0
        __fish_complete_directories "$value" | string replace -r -- '^' "$prefix"
        return
    end
    if test (math "bitand($directive, 8)") -ne 0
        set -l pattern (string join '|' -- (string escape --style=regex -- $out))
        for path in (__fish_complete_path "$value")
            set -l name (string split -m1 -- \\t $path)[1]
            if string match -q -- '*/' $name; or string match -qr -- "\\.($pattern)\\$" $name
                printf '%s%s\\n' "$prefix" $path
            end
        end
        return
    end
    if test (count $out) -eq 0
        test (math "bitand($directive, 4)") -eq 0
        and __fish_complete_path "$value" | string replace -r -- '^' "$prefix"
        return
    end
    for line in $out
        printf '%s%s\\n' "$prefix" $line
    end
end

complete -c cfmesh -f -a '(__cfmesh_complete)'
`;

const SCRIPTS: Readonly<Record<Shell, string>> = { bash: BASH, zsh: ZSH, fish: FISH };

export function completionScript(shell: string): string {
  if (!(SHELLS as readonly string[]).includes(shell)) throw new ToolError('USAGE', `completion takes bash, zsh or fish (got "${shell}")`);
  return SCRIPTS[shell as Shell];
}

export function completionCommand(ctx: CommandContext, shell: string): void {
  ctx.io.stdout.write(completionScript(shell));
}
