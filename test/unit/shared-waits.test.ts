import { describe, expect, it } from 'vitest';
import { ZpsError } from '../../src/pubsub/errors.js';
import { sharedWaits } from '../../src/pubsub/merged-reader.js';

/** What a listener of several topics' readers hears: each cause told, or 'end'. */
function listener(): { heard: string[]; onWaiting: (cause: Error | undefined) => void } {
  const heard: string[] = [];
  return { heard, onWaiting: (cause) => heard.push(cause ? cause.message : 'end') };
}

const brokers = (how: string) => new ZpsError(`cannot reach Kafka: ${how}`, { code: 'unavailable', reason: 'brokers-unreachable' });
const registry = () => new ZpsError('cannot reach the schema registry', { code: 'unavailable', reason: 'registry-unreachable' });

describe('sharedWaits: the waits of several topics told as those of one reader', () => {
  it('a broker outage that every topic meets, in its own words, is one wait, ended when the last topic reads again', () => {
    const { heard, onWaiting } = listener();
    const waits = sharedWaits(onWaiting);
    const [a, b, c] = [waits()!, waits()!, waits()!];
    a(brokers('Fetch got no answer'));
    b(brokers('connection lost'));
    c(brokers('Fetch got no answer'));
    a(undefined);
    b(undefined);
    expect(heard).toEqual(['cannot reach Kafka: Fetch got no answer']); // c still waits
    c(undefined);
    expect(heard).toEqual(['cannot reach Kafka: Fetch got no answer', 'end']);
    b(brokers('connection lost')); // the next outage
    expect(heard).toEqual(['cannot reach Kafka: Fetch got no answer', 'end', 'cannot reach Kafka: connection lost']);
  });

  it('a topic that waits for the registry while another still waits for the brokers says so; an end without a wait is nothing', () => {
    const { heard, onWaiting } = listener();
    const waits = sharedWaits(onWaiting);
    const [a, b] = [waits()!, waits()!];
    b(undefined);
    a(brokers('down'));
    b(brokers('down'));
    a(undefined);
    a(registry());
    b(undefined);
    expect(heard).toEqual(['cannot reach Kafka: down', 'cannot reach the schema registry']);
    a(undefined);
    expect(heard).toEqual(['cannot reach Kafka: down', 'cannot reach the schema registry', 'end']);
  });

  it('without a listener, the readers get none', () => {
    expect(sharedWaits(undefined)()).toBeUndefined();
  });
});
