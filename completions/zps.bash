# bash completion for zps; install: zps completion bash > /etc/bash_completion.d/zps
_zps_topics() {
  ZPS_NO_AUTOSTART=1 zps topics --timeout 500ms 2>/dev/null | cut -f1
}

_zps_groups() {
  ZPS_NO_AUTOSTART=1 zps groups --timeout 500ms 2>/dev/null | cut -f1
}

_zps_subjects() {
  zps schemas --timeout 500ms 2>/dev/null
}

_zps_contexts() {
  zps context list 2>/dev/null | cut -c3- | cut -f1
}

_zps() {
  local cur prev words cword
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  local commands="publish consume count reset topics groups schemas cluster daemon context completion"
  local global="-e --env -b --brokers --bootstrap-server -r --schema-registry -g --group --socket --sasl-mechanism --sasl-token-command --tls --tls-ca --tls-cert --tls-key -F --properties -X --property --context --timeout --json --no-color --verbose -h --help -V --version"
  local command="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      publish|consume|count|reset|topics|groups|schemas|cluster|daemon|context|completion) command="${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$prev" in
    --topic) COMPREPLY=($(compgen -W "$(_zps_topics)" -- "$cur")); return ;;
    --to-offset|--to-time|--shift-by) return ;;
    -e|--env) COMPREPLY=($(compgen -W "local production" -- "$cur")); return ;;
    --context) COMPREPLY=($(compgen -W "$(_zps_contexts)" -- "$cur")); return ;;
    --sasl-mechanism) COMPREPLY=($(compgen -W "plain scram-sha-256 scram-sha-512 oauthbearer aws-msk-iam" -- "$cur")); return ;;
    -o|--offset) COMPREPLY=($(compgen -W "beginning end @-15m @-1h" -- "$cur")); return ;;
    --version) [[ "$command" == schemas ]] && COMPREPLY=($(compgen -W "latest" -- "$cur")); return ;;
    --socket|--tls-ca|--tls-cert|--tls-key|--schema|--key-schema|--proto|-F|--properties) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --proto-path) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    -b|--brokers|--bootstrap-server|-r|--schema-registry|-g|--group|--timeout|--sasl-token-command|-X|--property|--sasl-username|--sasl-password-env|--sasl-password-command|--tls-key-password-env|--tls-key-password-command|-k|--key|-K|--key-delimiter|-t|--type|-H|--header|-p|--partition|--partitions|--subject|--schema-reference|--message|-n|--max-messages|--format|--expect|--wait|--retention-messages|--retention-bytes|--max-memory|--until|--regex|--grep|--replication-factor|-c|--config|--set|--unset) return ;;
  esac
  local flags
  case "$command" in
    publish) flags="--raw -k --key -K --key-delimiter -Z --tombstone -t --type -H --header -p --partition --partitions --schema --subject --schema-reference --key-schema --message --proto --proto-path --from-json --keep-partitions" ;;
    consume) flags="-f --follow -o --offset --until -n --max-messages -p --partition --regex --key --header --type --grep --proto --message --proto-path --format" ;;
    count) flags="--expect --wait --regex" ;;
    reset) flags="-y --yes" ;;
    topics) flags="--all -p --partitions --replication-factor -c --config --if-not-exists --set --unset -y --yes --if-exists" ;;
    groups) flags="--topic --all-topics --to-earliest --to-latest --to-offset --to-time --shift-by -p --partition --execute -y --yes" ;;
    schemas) flags="--version" ;;
    cluster) flags="" ;;
    context) flags="--sasl-username --sasl-password-env --sasl-password-command --tls-key-password-env --tls-key-password-command --store-secrets --force" ;;
    daemon) flags="--retention-messages --retention-bytes --max-memory --kafka" ;;
    completion) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")); return ;;
    "") COMPREPLY=($(compgen -W "$commands $global" -- "$cur")); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags $global" -- "$cur"))
  elif [[ "$command" == daemon ]]; then
    COMPREPLY=($(compgen -W "start stop status run" -- "$cur"))
  elif [[ "$command" == context && "$prev" == context ]]; then
    COMPREPLY=($(compgen -W "add use list show remove" -- "$cur"))
  elif [[ "$command" == context && ( "$prev" == use || "$prev" == show || "$prev" == remove ) ]]; then
    COMPREPLY=($(compgen -W "$(_zps_contexts)" -- "$cur"))
  elif [[ "$command" == topics && "$prev" == topics ]]; then
    COMPREPLY=($(compgen -W "describe create alter delete" -- "$cur"))
  elif [[ "$command" == topics && ( "$prev" == describe || "$prev" == alter || " ${COMP_WORDS[*]} " == *" delete "* ) ]]; then
    COMPREPLY=($(compgen -W "$(_zps_topics)" -- "$cur"))
  elif [[ "$command" == groups && "$prev" == groups ]]; then
    COMPREPLY=($(compgen -W "describe reset delete" -- "$cur"))
  elif [[ "$command" == groups ]]; then
    COMPREPLY=($(compgen -W "$(_zps_groups)" -- "$cur"))
  elif [[ "$command" == schemas && "$prev" == schemas ]]; then
    COMPREPLY=($(compgen -W "$(_zps_subjects)" -- "$cur"))
  elif [[ "$command" == publish || "$command" == consume || "$command" == count || "$command" == reset ]]; then
    COMPREPLY=($(compgen -W "$(_zps_topics)" -- "$cur"))
  fi
}
complete -F _zps zps
