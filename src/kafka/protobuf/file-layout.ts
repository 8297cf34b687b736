import type * as Protobuf from 'protobufjs';

/**
 * The messages of one .proto file in descriptor order, which message indexes count in: a file's
 * messages, and in each message its nested messages with the entries protoc makes for map fields
 * (and proto2 groups) where they are declared. protobufjs keeps fields and nested types apart, so
 * the order is read from the file's tokens (or from its descriptor, which has it).
 */
export interface FileLayout {
  package: string;
  messages: MessageLayout[];
}

export interface MessageLayout {
  name: string;
  nested: MessageLayout[];
}

/** The layout of a .proto file's text. */
export function textLayout(protobuf: typeof Protobuf, text: string): FileLayout {
  const tokens = protobuf.tokenize(text, false);
  const layout: FileLayout = { package: '', messages: [] };
  // the open blocks: a message's (or a oneof's, which stands for its message), or any other (enum, service, an option's value)
  const blocks: (MessageLayout | null)[] = [];
  const inMessageScope = () => blocks.length === 0 || blocks[blocks.length - 1] !== null;
  const add = (message: MessageLayout) => {
    const parent = blocks[blocks.length - 1];
    (parent ? parent.nested : layout.messages).push(message);
  };
  for (let token = tokens.next(); token !== null; token = tokens.next()) {
    if (token === '"' || token === "'") {
      tokens.next(); // the string, then its closing quote
      tokens.next();
    } else if (token === '{') blocks.push(null);
    else if (token === '}') blocks.pop();
    else if (token === 'package' && blocks.length === 0) layout.package = tokens.next() ?? '';
    else if (token === 'message' && inMessageScope() && tokens.peek() !== '=') {
      const message: MessageLayout = { name: tokens.next() ?? '', nested: [] };
      if (tokens.peek() !== '{') continue; // a field named "message", or a type named so
      tokens.next();
      add(message);
      blocks.push(message);
    } else if (token === 'oneof' && blocks.length > 0 && inMessageScope() && tokens.peek() !== '=') {
      tokens.next(); // its name; a oneof's groups are its message's nested types
      if (tokens.peek() !== '{') continue;
      tokens.next();
      blocks.push(blocks[blocks.length - 1]!);
    } else if (token === 'map' && blocks.length > 0 && inMessageScope() && tokens.peek() === '<') {
      while (tokens.next() !== '>') {}
      add({ name: `${pascalCase(tokens.next() ?? '')}Entry`, nested: [] });
    } else if (token === 'group' && blocks.length > 0 && inMessageScope()) {
      const group: MessageLayout = { name: tokens.next() ?? '', nested: [] };
      while (tokens.peek() !== '{' && tokens.peek() !== null) tokens.next();
      tokens.next();
      add(group);
      blocks.push(group);
    }
  }
  return layout;
}

interface DescriptorMessage {
  name?: string;
  nestedType?: DescriptorMessage[];
}

/** The layout of a file descriptor (FileDescriptorProto, as decoded by protobufjs). */
export function descriptorLayout(descriptor: { package?: string; messageType?: DescriptorMessage[] }): FileLayout {
  const message = (type: DescriptorMessage): MessageLayout => ({ name: type.name ?? '', nested: (type.nestedType ?? []).map(message) });
  return { package: descriptor.package ?? '', messages: (descriptor.messageType ?? []).map(message) };
}

/** The full name (`pkg.Outer.Inner`) of the message at these indexes; undefined when there is none. */
export function messageAt(layout: FileLayout, indexes: readonly number[]): string | undefined {
  let level = layout.messages;
  const names: string[] = layout.package ? [layout.package] : [];
  for (const index of indexes) {
    const message = level[index];
    if (message === undefined) return undefined;
    names.push(message.name);
    level = message.nested;
  }
  return names.length > (layout.package ? 1 : 0) ? names.join('.') : undefined;
}

/** The indexes of the message with this full name; undefined when the file does not declare it. */
export function indexesOf(layout: FileLayout, fullName: string): number[] | undefined {
  const prefix = layout.package ? `${layout.package}.` : '';
  if (!fullName.startsWith(prefix)) return undefined;
  const path = fullName.slice(prefix.length).split('.');
  const indexes: number[] = [];
  let level = layout.messages;
  for (const name of path) {
    const index = level.findIndex((message) => message.name === name);
    if (index < 0) return undefined;
    indexes.push(index);
    level = level[index]!.nested;
  }
  return indexes;
}

/** Every message of the file by full name, nested ones included (for did-you-mean). */
export function messageNames(layout: FileLayout): string[] {
  const names: string[] = [];
  const walk = (messages: MessageLayout[], prefix: string) => {
    for (const message of messages) {
      names.push(`${prefix}${message.name}`);
      walk(message.nested, `${prefix}${message.name}.`);
    }
  };
  walk(layout.messages, layout.package ? `${layout.package}.` : '');
  return names;
}

/** `line_items` → `LineItems`: the name protoc gives a map field's entry type. */
function pascalCase(name: string): string {
  return name.replace(/(?:^|_)([a-z0-9])/g, (_match, c: string) => c.toUpperCase());
}
