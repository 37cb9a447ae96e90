# bash completion for wrp-controller (verbs, options, pipeline names, and
# parameter names for `pkg conf` / `conf`). Pipelines and parameters come
# from wrp-controller itself (`ppl index list`, `params`), so the
# completion follows the installed version.

_wrp_controller()
{
    local cur prev words cword
    _init_completion -n = || return

    local options="-H --hostfile -p --pipeline --port --timeout --format --json
        --key --agent-key --insecure --write-json --textfile --interval --listen
        --tls-cert --tls-key --http-auth -v --verbose
        -h --help --version -w --target -x --exclude --summary -q --quiet
        --no-header --expect"
    local verbs="ppl pkg conf config params start stop kill clean status
        monitor keygen hostfile"

    case $prev in
    -H | --hostfile | --key | --agent-key | --write-json | --tls-cert | --tls-key | --http-auth)
        _filedir
        return ;;
    --textfile)
        _filedir -d
        return ;;
    --format)
        COMPREPLY=($(compgen -W "table json prometheus" -- "$cur"))
        return ;;
    --port | --timeout | -w | --target | -x | --exclude | --interval | --listen)
        return ;;
    --expect)
        COMPREPLY=($(compgen -W "running stopped failed starting stopping" -- "$cur"))
        return ;;
    -p | --pipeline)
        COMPREPLY=($(compgen -W "$(_wrp_controller_pipelines)" -- "$cur"))
        _filedir yaml
        return ;;
    esac

    # The words after the options: the verb and its operands.
    local i args=()
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        -H | --hostfile | -p | --pipeline | --port | --timeout | --format | --key | \
            --agent-key | --write-json | --textfile | -w | --target | -x | --exclude | \
            --expect | --interval | --listen | --tls-cert | --tls-key | --http-auth) ((i++)) ;;
        -*) ;;
        *) args+=("${words[i]}") ;;
        esac
    done

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
        return
    fi
    case "${args[*]}" in
    "")
        COMPREPLY=($(compgen -W "$verbs" -- "$cur")) ;;
    ppl)
        COMPREPLY=($(compgen -W "load index show start stop kill clean status" -- "$cur")) ;;
    "ppl index")
        COMPREPLY=($(compgen -W "list load" -- "$cur")) ;;
    "ppl load" | "ppl index load")
        COMPREPLY=($(compgen -W "$(_wrp_controller_pipelines)" -- "$cur"))
        _filedir yaml ;;
    pkg)
        COMPREPLY=($(compgen -W "conf" -- "$cur")) ;;
    "pkg conf")
        COMPREPLY=($(compgen -W "runtime" -- "$cur")) ;;
    "pkg conf "* | conf | "conf "*)
        compopt -o nospace 2>/dev/null
        COMPREPLY=($(compgen -W "$(_wrp_controller_params)" -S = -- "$cur")) ;;
    keygen | "hostfile set")
        _filedir ;;
    hostfile)
        COMPREPLY=($(compgen -W "set" -- "$cur")) ;;
    esac
}

_wrp_controller_pipelines()
{
    "${words[0]}" ppl index list 2>/dev/null | awk 'NR > 1 && $1 != "" { print $1 }'
}

_wrp_controller_params()
{
    "${words[0]}" params 2>/dev/null | awk -F' *[|] *' 'NR > 2 && $2 != "" { print $2 }'
}

complete -F _wrp_controller wrp-controller
