#compdef zps
# zsh completion for zps; install: zps completion zsh > "${fpath[1]}/_zps"

_zps_topics() {
  local -a topics
  topics=(${(f)"$(ZPS_NO_AUTOSTART=1 zps topics --timeout 500ms 2>/dev/null | cut -f1)"})
  _describe 'topic' topics
}

_zps_groups() {
  local -a groups
  groups=(${(f)"$(ZPS_NO_AUTOSTART=1 zps groups --timeout 500ms 2>/dev/null | cut -f1)"})
  _describe 'group' groups
}

_zps_subjects() {
  local -a subjects
  subjects=(${(f)"$(zps schemas --timeout 500ms 2>/dev/null)"})
  _describe 'subject' subjects
}

_zps_contexts() {
  local -a contexts
  contexts=(${(f)"$(zps context list 2>/dev/null | cut -c3- | cut -f1)"})
  _describe 'context' contexts
}

_zps() {
  local -a global
  global=(
    '(-e --env)'{-e,--env}'[environment: local or Kafka]:env:(local production)'
    '(-b --brokers --bootstrap-server)'{-b,--brokers,--bootstrap-server}'[Kafka brokers]:brokers:'
    '(-r --schema-registry)'{-r,--schema-registry}'[schema registry URL]:url:'
    '(-g --group)'{-g,--group}'[consumer group]:group:'
    '--socket[local daemon socket]:socket:_files'
    '--sasl-mechanism[SASL mechanism]:mechanism:(plain scram-sha-256 scram-sha-512 oauthbearer aws-msk-iam)'
    '--sasl-token-command[OAUTHBEARER: command printing the token]:command:'
    '--tls[use TLS]'
    '--tls-ca[CA certificate]:file:_files'
    '--tls-cert[client certificate (PEM)]:file:_files'
    '--tls-key[client key (PEM)]:file:_files'
    '(-F --properties)'{-F,--properties}'[Kafka client properties file]:file:_files'
    '*'{-X,--property}'[Kafka client property]:name=value:'
    '--context[a context of the contexts file]:context:_zps_contexts'
    '--timeout[give up after]:duration:'
    '--json[NDJSON output]'
    '--no-color[no colors]'
    '--verbose[more detail on errors]'
  )
  local state
  _arguments -C $global \
    '(- :)'{-h,--help}'[show help]' \
    '(- :)'{-V,--version}'[show version]' \
    '1:command:(publish consume count reset topics groups schemas cluster daemon context completion)' \
    '*::arg:->args'
  case $state in
    args)
      case $words[1] in
        publish)
          _arguments $global '--raw[with --schema: values as strings]' '(-Z --tombstone)'{-Z,--tombstone}'[empty values as tombstones]' '(-k --key)'{-k,--key}'[key]:key:' \
            '(-K --key-delimiter)'{-K,--key-delimiter}'[key delimiter]:delimiter:' '(-t --type)'{-t,--type}'[message type]:type:' \
            '*'{-H,--header}'[header name=value]:header:' '(-p --partition)'{-p,--partition}'[partition]:n:' \
            '--partitions[partitions of a new topic]:n:' '--schema[schema file]:file:_files' '--subject[subject]:subject:' \
            '*--schema-reference[reference name=subject\[:version\]]:reference:' '--key-schema[key schema file]:file:_files' \
            '--message[Protobuf message (full name)]:message:' '--proto[plain Protobuf: .proto file]:file:_files' '*--proto-path[Protobuf import directory]:dir:_files -/' \
            '--from-json[lines of consume --json]' '--keep-partitions[with --from-json: keep partitions]' \
            '1:topic:_zps_topics' '*:value:' ;;
        consume)
          _arguments $global '(-f --follow)'{-f,--follow}'[keep waiting]' '(-o --offset)'{-o,--offset}'[start]:offset:(beginning end @-15m @-1h)' \
            '--until[stop after time]:time:' '(-n --max-messages)'{-n,--max-messages}'[exit after n]:n:' '*'{-p,--partition}'[partition]:n:' \
            '--regex[topics matching]:pattern:' '--key[only this key]:key:' '*--header[only with header]:header:' '--type[only this type]:type:' \
            '--grep[only values matching]:pattern:' '--proto[plain Protobuf: .proto file]:file:_files' '--message[Protobuf message (full name)]:message:' \
            '*--proto-path[Protobuf import directory]:dir:_files -/' '--format[template]:template:' '*:topic:_zps_topics' ;;
        count)
          _arguments $global '--expect[expected count]:n:' '--wait[wait for --expect]:duration:' '--regex[topics matching]:pattern:' '*:topic:_zps_topics' ;;
        reset)
          _arguments $global '(-y --yes)'{-y,--yes}'[no confirmation]' '*:topic:_zps_topics' ;;
        topics)
          case $words[2] in
            create)
              _arguments $global '(-p --partitions)'{-p,--partitions}'[partitions]:n:' '--replication-factor[copies of each partition]:n:' \
                '*'{-c,--config}'[topic setting name=value]:setting:' '--if-not-exists[exit 0 when it exists]' '1:action:' '2:topic:' ;;
            alter)
              _arguments $global '--partitions[the new partition count]:n:' '*--set[set a topic setting name=value]:setting:' \
                '*--unset[remove a topic setting]:name:' '1:action:' '2:topic:_zps_topics' ;;
            delete)
              _arguments $global '(-y --yes)'{-y,--yes}'[no confirmation]' '--if-exists[exit 0 when a topic is missing]' '1:action:' '*:topic:_zps_topics' ;;
            *)
              _arguments $global '--all[include internal topics]' '1:action:(describe create alter delete)' '2:topic:_zps_topics' ;;
          esac ;;
        groups)
          _arguments $global '*--topic[topic]:topic:_zps_topics' '--all-topics[every topic the group committed on]' \
            '--to-earliest[reset to the first offset]' '--to-latest[reset to the end]' '--to-offset[reset to this offset]:n:' \
            '--to-time[reset to the first offset at or after]:time:' '--shift-by[move the committed offset by]:n:' \
            '*'{-p,--partition}'[partition]:n:' '--execute[apply the reset]' '(-y --yes)'{-y,--yes}'[no confirmation]' \
            '1:action:(describe reset delete)' '*:group:_zps_groups' ;;
        schemas)
          _arguments $global '--version[that version of the subject]:version:(latest)' '1:subject:_zps_subjects' ;;
        cluster)
          _arguments $global ;;
        daemon)
          _arguments $global '--retention-messages[messages per partition]:n:' '--retention-bytes[bytes per partition]:size:' \
            '--max-memory[memory cap]:size:' '--kafka[also answer Kafka clients on a loopback address]::address:' '1:action:(start stop status run)' ;;
        context)
          _arguments $global '--sasl-username[SASL user name]:name:' '--sasl-password-env[SASL password from this variable]:variable:_parameters' \
            '--sasl-password-command[SASL password printed by this command]:command:' '--tls-key-password-env[key passphrase from this variable]:variable:_parameters' \
            '--tls-key-password-command[key passphrase printed by this command]:command:' '--store-secrets[store secrets of -X and --properties as they are]' \
            '--force[replace the context]' '1:action:(add use list show remove)' '2:context:_zps_contexts' ;;
        completion)
          _arguments '1:shell:(bash zsh fish)' ;;
      esac ;;
  esac
}

_zps "$@"
