# bash completion for letta-stream                                  -*- shell-script -*-
# Installed as share/bash-completion/completions/letta-stream; or source it from ~/.bashrc.
# The flags here must match `letta-stream --help` (tests/check_flags.sh checks it).

_letta_stream() {
    local cur prev
    # The values of the options that take a fixed set, as `letta-stream --help` lists them.
    local endpoint_values='conversations agents'
    local metrics_values='text json'
    local gzip_values='stream members'
    local background_values='auto on off'
    local api_values='letta openai simple sse'
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

    # Options that take a value in the next word.
    case $prev in
        --endpoint)
            mapfile -t COMPREPLY < <(compgen -W "$endpoint_values" -- "$cur")
            return
            ;;
        --background)
            mapfile -t COMPREPLY < <(compgen -W "$background_values" -- "$cur")
            return
            ;;
        --api)
            mapfile -t COMPREPLY < <(compgen -W "$api_values" -- "$cur")
            return
            ;;
        --api-key-file | --metrics-file | --cacert | --cert | --key | --record | --replay | \
            --config)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return
            ;;
        --capath)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -d -- "$cur")
            return
            ;;
        -a | --agent | --conversation | --base-url | --project-id | -H | --header | --model | \
            --url | --data | \
            --connect-timeout | --max-prompt-size | --max-event-size | --coalesce | --coalesce-ms | \
            --throttle | --burst | --first-token-timeout | --idle-timeout | --max-time | \
            --retries | --retry-max-time | --proxy | --noproxy | --replay-speed)
            COMPREPLY=() # free text: an id, a name, a URL, a number, a size or a rate
            return
            ;;
        --gzip-level)
            mapfile -t COMPREPLY < <(compgen -W '1 2 3 4 5 6 7 8 9' -- "$cur")
            return
            ;;
    esac

    case $cur in
        --metrics=*)
            # bash splits words at '=' by default (COMP_WORDBREAKS), but not always.
            mapfile -t COMPREPLY < <(compgen -W "$metrics_values" -- "${cur#--metrics=}")
            [[ $COMP_WORDBREAKS == *=* ]] || COMPREPLY=("${COMPREPLY[@]/#/--metrics=}")
            return
            ;;
        --gzip=*)
            mapfile -t COMPREPLY < <(compgen -W "$gzip_values" -- "${cur#--gzip=}")
            [[ $COMP_WORDBREAKS == *=* ]] || COMPREPLY=("${COMPREPLY[@]/#/--gzip=}")
            return
            ;;
        -*)
            local opts='-a --agent --conversation --endpoint --api --model --url --data
                --base-url --api-key-file --project-id -H --header --connect-timeout
                --first-token-timeout --idle-timeout --max-time --retries --retry-max-time
                --background --no-cancel
                --cacert --capath -k --insecure --cert --key --proxy --noproxy
                --no-stdin --max-prompt-size --max-event-size
                -j --json -n --no-newline -m --metrics --metrics=text --metrics=json --metrics-file
                --show-reasoning --show-tools
                --coalesce --coalesce-ms --throttle --burst
                --gzip --gzip=stream --gzip=members --gzip-level
                --record --replay --replay-speed --config --no-config
                -h --help -V --version -v --verbose -q --quiet'
            mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
            return
            ;;
    esac

    # `--metrics=` split by COMP_WORDBREAKS: the words are "--metrics" "=" "partial".
    local before=
    ((COMP_CWORD >= 2)) && before=${COMP_WORDS[COMP_CWORD - 2]}
    if [[ $prev == = && ($before == --metrics || $before == --gzip) ]]; then
        local values=$metrics_values
        [[ $before == --gzip ]] && values=$gzip_values
        mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
        return
    fi
    if [[ $cur == = && ($prev == --metrics || $prev == --gzip) ]]; then
        local values=$metrics_values
        [[ $prev == --gzip ]] && values=$gzip_values
        read -ra COMPREPLY <<<"$values"
        return
    fi

    # The prompt is free text.
    COMPREPLY=()
}

complete -F _letta_stream letta-stream
