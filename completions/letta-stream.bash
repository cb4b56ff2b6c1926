# bash completion for letta-stream                                  -*- shell-script -*-
# Installed as share/bash-completion/completions/letta-stream; or source it from ~/.bashrc.
# The flags here must match `letta-stream --help` (tests/check_flags.sh checks it).

_letta_stream() {
    local cur prev
    # The values of the options that take a fixed set, as `letta-stream --help` lists them.
    local endpoint_values='conversations agents'
    local metrics_values='text json'
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

    # Options that take a value in the next word.
    case $prev in
        --endpoint)
            mapfile -t COMPREPLY < <(compgen -W "$endpoint_values" -- "$cur")
            return
            ;;
        --api-key-file | --metrics-file)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return
            ;;
        -a | --agent | --conversation | --base-url | --project-id | -H | --header | \
            --connect-timeout | --max-prompt-size | --max-event-size)
            COMPREPLY=() # free text: an id, a name, a URL, a number
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
        -*)
            local opts='-a --agent --conversation --endpoint
                --base-url --api-key-file --project-id -H --header --connect-timeout
                --no-stdin --max-prompt-size --max-event-size
                -j --json -n --no-newline -m --metrics --metrics=text --metrics=json --metrics-file
                --show-reasoning --show-tools
                -h --help -V --version -v --verbose -q --quiet'
            mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
            return
            ;;
    esac

    # `--metrics=` split by COMP_WORDBREAKS: the words are "--metrics" "=" "partial".
    if [[ $prev == = && $COMP_CWORD -ge 2 && ${COMP_WORDS[COMP_CWORD - 2]} == --metrics ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$metrics_values" -- "$cur")
        return
    fi
    if [[ $cur == = && $prev == --metrics ]]; then
        read -ra COMPREPLY <<<"$metrics_values"
        return
    fi

    # The prompt is free text.
    COMPREPLY=()
}

complete -F _letta_stream letta-stream
