# bash completion for feedpipe and its stages                -*- shell-script -*-
# Installed as share/bash-completion/completions/{feedpipe,feedpipe-extract,
# feedpipe-clean,feedpipe-normalize,feedpipe-load}. The options are read from
# the command's own --help, so they never go stale.

_feedpipe_options()
{
    local cmd=$1
    "$cmd" --help 2>/dev/null |
        grep -oE -- '(^|[ ,])--[a-z0-9][a-z0-9-]*' | sed 's/^[ ,]*//' | sort -u
}

_feedpipe()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi
    local cmd=${words[0]}

    if [[ ${cmd##*/} == feedpipe && $cword -eq 1 ]]; then
        COMPREPLY=($(compgen -W 'run --help --version' -- "$cur"))
        return
    fi

    case $prev in
        --out-dir | --root | --git | --prefix)
            COMPREPLY=($(compgen -d -- "$cur"))
            return ;;
        --stats | --out | --rules | --lock | --state)
            COMPREPLY=($(compgen -f -- "$cur"))
            return ;;
        --invalid-utf8)
            COMPREPLY=($(compgen -W 'repair reject' -- "$cur"))
            return ;;
        --partition)
            COMPREPLY=($(compgen -W 'day month year' -- "$cur"))
            return ;;
        --default-tz)
            COMPREPLY=($(compgen -W 'UTC +00:00 +08:00 Asia/Shanghai Europe/London America/New_York' -- "$cur"))
            return ;;
        --pg | --pg-fd | --glob | --shard | --schema | --batch-rows | --batch-bytes | --run-id | --rev | \
        --compress-level | --part-size | --retries | --max-* | --now | -j | --jobs | \
        --*-opt)
            return ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_feedpipe_options "$cmd")" -- "$cur"))
        return
    fi
    case ${cmd##*/} in
        feedpipe | feedpipe-extract)
            COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
} &&
    complete -o filenames -F _feedpipe feedpipe feedpipe-extract feedpipe-clean \
        feedpipe-normalize feedpipe-load
