# fish completion for zps; install: zps completion fish > ~/.config/fish/completions/zps.fish
function __zps_topics
    env ZPS_NO_AUTOSTART=1 zps topics --timeout 500ms 2>/dev/null | cut -f1
end

function __zps_groups
    env ZPS_NO_AUTOSTART=1 zps groups --timeout 500ms 2>/dev/null | cut -f1
end

function __zps_subjects
    zps schemas --timeout 500ms 2>/dev/null
end

function __zps_contexts
    zps context list 2>/dev/null | cut -c3- | cut -f1
end

set -l commands publish consume count reset topics groups schemas cluster daemon context completion
complete -c zps -f
complete -c zps -n "not __fish_seen_subcommand_from $commands" -a "$commands"

complete -c zps -s e -l env -x -a "local production" -d 'environment: local or Kafka'
complete -c zps -s b -l brokers -x -d 'Kafka brokers'
complete -c zps -l bootstrap-server -x -d 'Kafka brokers'
complete -c zps -s r -l schema-registry -x -d 'schema registry URL'
complete -c zps -s g -l group -x -d 'consumer group'
complete -c zps -l socket -r -F -d 'local daemon socket'
complete -c zps -l sasl-mechanism -x -a "plain scram-sha-256 scram-sha-512 oauthbearer aws-msk-iam" -d 'SASL mechanism'
complete -c zps -l sasl-token-command -x -d 'OAUTHBEARER: command printing the token'
complete -c zps -l tls -d 'use TLS'
complete -c zps -l tls-ca -r -F -d 'CA certificate'
complete -c zps -l tls-cert -r -F -d 'client certificate (PEM)'
complete -c zps -l tls-key -r -F -d 'client key (PEM)'
complete -c zps -s F -l properties -r -F -d 'Kafka client properties file'
complete -c zps -s X -l property -x -d 'Kafka client property name=value'
complete -c zps -l context -x -a "(__zps_contexts)" -d 'a context of the contexts file'
complete -c zps -l timeout -x -d 'give up after'
complete -c zps -l json -d 'NDJSON output'
complete -c zps -l no-color -d 'no colors'
complete -c zps -l verbose -d 'more detail on errors'
complete -c zps -s V -l version -d 'show version'

complete -c zps -n "__fish_seen_subcommand_from publish consume count reset" -a "(__zps_topics)"
complete -c zps -n "__fish_seen_subcommand_from publish" -l raw -d 'with --schema: values as strings'
complete -c zps -n "__fish_seen_subcommand_from publish" -s Z -l tombstone -d 'empty values as tombstones'
complete -c zps -n "__fish_seen_subcommand_from publish" -s k -l key -x -d 'key'
complete -c zps -n "__fish_seen_subcommand_from publish" -s K -l key-delimiter -x -d 'key delimiter'
complete -c zps -n "__fish_seen_subcommand_from publish" -s t -l type -x -d 'message type'
complete -c zps -n "__fish_seen_subcommand_from publish" -s H -l header -x -d 'header name=value'
complete -c zps -n "__fish_seen_subcommand_from publish" -s p -l partition -x -d 'partition'
complete -c zps -n "__fish_seen_subcommand_from publish" -l partitions -x -d 'partitions of a new topic'
complete -c zps -n "__fish_seen_subcommand_from publish" -l schema -r -F -d 'schema file'
complete -c zps -n "__fish_seen_subcommand_from publish" -l subject -x -d 'subject'
complete -c zps -n "__fish_seen_subcommand_from publish" -l schema-reference -x -d 'reference name=subject[:version]'
complete -c zps -n "__fish_seen_subcommand_from publish" -l key-schema -r -F -d 'key schema file'
complete -c zps -n "__fish_seen_subcommand_from publish consume" -l proto -r -F -d 'plain Protobuf: .proto file'
complete -c zps -n "__fish_seen_subcommand_from publish consume" -l message -x -d 'Protobuf message (full name)'
complete -c zps -n "__fish_seen_subcommand_from publish consume" -l proto-path -x -a "(__fish_complete_directories)" -d 'Protobuf import directory'
complete -c zps -n "__fish_seen_subcommand_from publish" -l from-json -d 'lines of consume --json'
complete -c zps -n "__fish_seen_subcommand_from publish" -l keep-partitions -d 'with --from-json: keep partitions'
complete -c zps -n "__fish_seen_subcommand_from consume" -s f -l follow -d 'keep waiting'
complete -c zps -n "__fish_seen_subcommand_from consume" -s o -l offset -x -a "beginning end @-15m @-1h" -d 'start'
complete -c zps -n "__fish_seen_subcommand_from consume" -l until -x -d 'stop after time'
complete -c zps -n "__fish_seen_subcommand_from consume" -s n -l max-messages -x -d 'exit after n'
complete -c zps -n "__fish_seen_subcommand_from consume" -s p -l partition -x -d 'partition'
complete -c zps -n "__fish_seen_subcommand_from consume count" -l regex -x -d 'topics matching'
complete -c zps -n "__fish_seen_subcommand_from consume" -l key -x -d 'only this key'
complete -c zps -n "__fish_seen_subcommand_from consume" -l header -x -d 'only with header'
complete -c zps -n "__fish_seen_subcommand_from consume" -l type -x -d 'only this type'
complete -c zps -n "__fish_seen_subcommand_from consume" -l grep -x -d 'only values matching'
complete -c zps -n "__fish_seen_subcommand_from consume" -l format -x -d 'template'
complete -c zps -n "__fish_seen_subcommand_from count" -l expect -x -d 'expected count'
complete -c zps -n "__fish_seen_subcommand_from count" -l wait -x -d 'wait for --expect'
complete -c zps -n "__fish_seen_subcommand_from reset" -s y -l yes -d 'no confirmation'
complete -c zps -n "__fish_seen_subcommand_from topics" -l all -d 'include internal topics'
complete -c zps -n "__fish_seen_subcommand_from topics; and not __fish_seen_subcommand_from describe create alter delete" -a "describe create alter delete"
complete -c zps -n "__fish_seen_subcommand_from topics; and __fish_seen_subcommand_from describe alter delete" -a "(__zps_topics)"
complete -c zps -n "__fish_seen_subcommand_from topics; and __fish_seen_subcommand_from create" -s p -l partitions -x -d 'partitions'
complete -c zps -n "__fish_seen_subcommand_from topics; and __fish_seen_subcommand_from create" -l replication-factor -x -d 'copies of each partition'
complete -c zps -n "__fish_seen_subcommand_from topics; and __fish_seen_subcommand_from create" -s c -l config -x -d 'topic setting name=value'
complete -c zps -n "__fish_seen_subcommand_from topics; and __fish_seen_subcommand_from create" -l if-not-exists -d 'exit 0 when it exists'
complete -c zps -n "__fish_seen_subcommand_from topics; and __fish_seen_subcommand_from alter" -l partitions -x -d 'the new partition count'
complete -c zps -n "__fish_seen_subcommand_from topics; and __fish_seen_subcommand_from alter" -l set -x -d 'set a topic setting name=value'
complete -c zps -n "__fish_seen_subcommand_from topics; and __fish_seen_subcommand_from alter" -l unset -x -d 'remove a topic setting'
complete -c zps -n "__fish_seen_subcommand_from topics; and __fish_seen_subcommand_from delete" -s y -l yes -d 'no confirmation'
complete -c zps -n "__fish_seen_subcommand_from topics; and __fish_seen_subcommand_from delete" -l if-exists -d 'exit 0 when a topic is missing'
complete -c zps -n "__fish_seen_subcommand_from groups; and not __fish_seen_subcommand_from describe reset delete" -a "describe reset delete"
complete -c zps -n "__fish_seen_subcommand_from groups; and __fish_seen_subcommand_from describe reset delete" -a "(__zps_groups)"
complete -c zps -n "__fish_seen_subcommand_from groups" -l topic -x -a "(__zps_topics)" -d 'topic'
complete -c zps -n "__fish_seen_subcommand_from groups" -l all-topics -d 'every topic the group committed on'
complete -c zps -n "__fish_seen_subcommand_from groups" -l to-earliest -d 'reset to the first offset'
complete -c zps -n "__fish_seen_subcommand_from groups" -l to-latest -d 'reset to the end'
complete -c zps -n "__fish_seen_subcommand_from groups" -l to-offset -x -d 'reset to this offset'
complete -c zps -n "__fish_seen_subcommand_from groups" -l to-time -x -d 'reset to the first offset at or after'
complete -c zps -n "__fish_seen_subcommand_from groups" -l shift-by -x -d 'move the committed offset by'
complete -c zps -n "__fish_seen_subcommand_from groups" -s p -l partition -x -d 'partition'
complete -c zps -n "__fish_seen_subcommand_from groups" -l execute -d 'apply the reset'
complete -c zps -n "__fish_seen_subcommand_from groups" -s y -l yes -d 'no confirmation'
complete -c zps -n "__fish_seen_subcommand_from schemas" -a "(__zps_subjects)"
complete -c zps -n "__fish_seen_subcommand_from schemas" -l version -x -a latest -d 'that version of the subject'
complete -c zps -n "__fish_seen_subcommand_from daemon" -a "start stop status run"
complete -c zps -n "__fish_seen_subcommand_from daemon" -l retention-messages -x -d 'messages per partition'
complete -c zps -n "__fish_seen_subcommand_from daemon" -l retention-bytes -x -d 'bytes per partition'
complete -c zps -n "__fish_seen_subcommand_from daemon" -l max-memory -x -d 'memory cap'
complete -c zps -n "__fish_seen_subcommand_from daemon" -l kafka -d 'also answer Kafka clients on a loopback address'
set -l context_actions add use list show remove
complete -c zps -n "__fish_seen_subcommand_from context; and not __fish_seen_subcommand_from $context_actions" -a "$context_actions"
complete -c zps -n "__fish_seen_subcommand_from context; and __fish_seen_subcommand_from use show remove" -a "(__zps_contexts)"
complete -c zps -n "__fish_seen_subcommand_from context; and __fish_seen_subcommand_from add" -l sasl-username -x -d 'SASL user name'
complete -c zps -n "__fish_seen_subcommand_from context; and __fish_seen_subcommand_from add" -l sasl-password-env -x -d 'SASL password from this variable'
complete -c zps -n "__fish_seen_subcommand_from context; and __fish_seen_subcommand_from add" -l sasl-password-command -x -d 'SASL password printed by this command'
complete -c zps -n "__fish_seen_subcommand_from context; and __fish_seen_subcommand_from add" -l tls-key-password-env -x -d 'key passphrase from this variable'
complete -c zps -n "__fish_seen_subcommand_from context; and __fish_seen_subcommand_from add" -l tls-key-password-command -x -d 'key passphrase printed by this command'
complete -c zps -n "__fish_seen_subcommand_from context; and __fish_seen_subcommand_from add" -l store-secrets -d 'store secrets of -X and --properties as they are'
complete -c zps -n "__fish_seen_subcommand_from context; and __fish_seen_subcommand_from add" -l force -d 'replace the context'
complete -c zps -n "__fish_seen_subcommand_from completion" -a "bash zsh fish"
