#!/usr/bin/env python3
"""Differential test of the JSON form's strings (issue 11): random text, written by Python's
json module and by hand in every escape form, must come out of `holdfast export` equal.

  json_strings.py generate --count N --seed S --out EVENTS.jsonl --expected EXPECTED.json
  json_strings.py compare --export EXPORT.jsonl --expected EXPECTED.json

generate writes N events (attendance.recorded and session.held) whose free text (reason,
module, notes) and identifiers (case, session, user, ...) are random strings: every Unicode
plane, astral characters, control characters, the characters JSON must escape, noncharacters
and line separators. Each line is written one of three ways, in turn: json.dumps with
ensure_ascii=True (Python's default: every non-ASCII character as \\uXXXX, astral ones as
surrogate pairs), json.dumps with ensure_ascii=False (UTF-8 as it is), and by hand, where
each character (keys too) takes a random form: itself, a short escape (\\" \\\\ \\/ \\b \\f \\n
\\r \\t), \\uXXXX in lower, upper or mixed case hex, or a surrogate pair in any of those.
EXPECTED.json holds each event's strings as Python read them.

compare reads the export strictly (UTF-8, no raw control characters, no lone surrogates)
and checks every expected string came back equal. Exit status 1, with the first
differences, if not.
"""
import argparse
import json
import random
import sys
import uuid

SHORT_ESCAPES = {'"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f',
                 '\n': '\\n', '\r': '\\r', '\t': '\\t'}
EDGE_BMP = [0xA0, 0xAD, 0x2028, 0x2029, 0xFEFF, 0xFFFD, 0xFFFE, 0xFFFF, 0xE000, 0xF8FF,
            0xD7FF, 0x0800, 0x07FF, 0x00FF, 0x0100]


def random_char(rng, plane=None, identifier=False):
    """One code point; an identifier's has no white space or control character below 0x80."""
    while True:
        if plane is not None:
            kind = 'plane'
        else:
            kind = rng.choices(['ascii', 'special', 'control', 'bmp', 'edge', 'astral'],
                               [25, 10, 10, 25, 5, 25])[0]
        if kind == 'ascii':
            cp = rng.randint(0x20, 0x7E)
        elif kind == 'special':
            cp = ord(rng.choice('"\\/\b\f\n\r\t'))
        elif kind == 'control':
            cp = rng.choice([rng.randint(0x01, 0x1F), 0x7F, rng.randint(0x80, 0x9F)])
        elif kind == 'bmp':
            cp = rng.randint(0xA0, 0xFFFF)
        elif kind == 'edge':
            cp = rng.choice(EDGE_BMP)
        elif kind == 'astral':
            p = rng.randint(1, 16)
            cp = rng.choice([p << 16, (p << 16) | 0xFFFF, (p << 16) | 0xFFFE,
                             (p << 16) | rng.randint(0, 0xFFFF)])
        else:  # a code point of the given plane
            cp = (plane << 16) | rng.randint(0, 0xFFFF)
        if 0xD800 <= cp <= 0xDFFF:
            continue  # surrogates are not characters
        if cp == 0:
            continue  # text may not hold NUL (Cap'n Proto Text is NUL-terminated)
        if identifier and (cp <= 0x20 or cp == 0x7F):
            continue
        return chr(cp)


def random_text(rng, index):
    n = rng.choice([0, 1, 2, 5, 10, 30, 60]) if rng.random() < 0.99 else 2000
    chars = [random_char(rng) for _ in range(n)]
    if n:  # every plane, in turn, in every string that has room
        chars[rng.randrange(n)] = random_char(rng, plane=index % 17)
    return ''.join(chars)


def random_identifier(rng, prefix):
    if rng.random() < 0.5:
        return prefix + str(rng.randint(1, 50))
    return prefix + ''.join(random_char(rng, identifier=True) for _ in range(rng.randint(1, 24)))


def hand_escaped_char(rng, ch):
    cp = ord(ch)
    forms = []
    if ch in SHORT_ESCAPES:
        forms.append(SHORT_ESCAPES[ch])
    if cp >= 0x20 and ch not in '"\\':
        forms.append(ch)
    if cp < 0x10000:
        units = [cp]
    else:
        v = cp - 0x10000
        units = [0xD800 | (v >> 10), 0xDC00 | (v & 0x3FF)]

    def hex_units(case):
        out = ''
        for u in units:
            h = '%04x' % u
            if case == 'upper':
                h = h.upper()
            elif case == 'mixed':
                h = ''.join(c.upper() if rng.random() < 0.5 else c for c in h)
            out += '\\u' + h
        return out

    forms += [hex_units('lower'), hex_units('upper'), hex_units('mixed')]
    return rng.choice(forms)


def hand_escaped(rng, value):
    if isinstance(value, str):
        return '"' + ''.join(hand_escaped_char(rng, c) for c in value) + '"'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, dict):
        return '{' + ','.join(hand_escaped(rng, k) + ':' + hand_escaped(rng, v)
                              for k, v in value.items()) + '}'
    raise TypeError(value)


def make_event(rng, i):
    event_id = str(uuid.UUID(int=(0x7e57 << 112) | (4 << 76) | (2 << 62) | i))
    author = {'user': random_identifier(rng, 'u-'), 'role': 'facilitator',
              'agency': random_identifier(rng, 'provider-')}
    if i % 2 == 0:
        kind = 'attendance.recorded'
        data = {'case': random_identifier(rng, 'C-'),
                'intervention': random_identifier(rng, 'I-'),
                'session': random_identifier(rng, 'S-'), 'outcome': 'attended',
                'reason': random_text(rng, i)}
    else:
        kind = 'session.held'
        module = random_text(rng, i) or 'm'
        data = {'session': random_identifier(rng, 'S-'), 'group': random_identifier(rng, 'g'),
                'module': module, 'facilitator': random_identifier(rng, 'f-'),
                'notes': random_text(rng, i + 1)}
    return {'id': event_id, 'type': kind, 'occurred_at': '2025-03-04T18:00:00Z',
            'author': author, 'data': data}


WRITERS = ['json.dumps ensure_ascii=True', 'json.dumps ensure_ascii=False', 'hand-escaped']


def generate(args):
    rng = random.Random(args.seed)
    expected = []
    strings = 0
    with open(args.out, 'w', encoding='utf-8', newline='\n') as out:
        for i in range(args.count):
            event = make_event(rng, i)
            writer = i % 3
            if writer == 0:
                line = json.dumps(event)
            elif writer == 1:
                line = json.dumps(event, ensure_ascii=False, separators=(',', ':'))
            else:
                line = hand_escaped(rng, event)
            assert json.loads(line) == event, line
            out.write(line + '\n')
            expected.append({'writer': WRITERS[writer], 'line': i + 1, 'event': event})
            strings += len(event['data']) + 2
    with open(args.expected, 'w', encoding='ascii') as f:
        json.dump(expected, f)
    print('%d events, %d strings, seed %d' % (args.count, strings, args.seed))


def no_lone_surrogates(value):
    if isinstance(value, str):
        return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return all(no_lone_surrogates(k) and no_lone_surrogates(v) for k, v in value.items())
    return True


def compare(args):
    with open(args.expected, encoding='ascii') as f:
        expected = json.load(f)
    exported = {}
    with open(args.export, 'rb') as f:
        for n, raw in enumerate(f, 1):
            try:
                text = raw.decode('utf-8')  # strict: invalid UTF-8 fails here
                event = json.loads(text)  # strict: raw control characters fail here
            except ValueError as e:
                print('export line %d is not valid JSON in UTF-8: %s' % (n, e))
                return 1
            if not no_lone_surrogates(event):
                print('export line %d holds a lone surrogate' % n)
                return 1
            exported[event['id']] = event
    problems = []
    strings = 0
    for item in expected:
        want = item['event']
        got = exported.get(want['id'])
        where = 'input line %d (%s)' % (item['line'], item['writer'])
        if got is None:
            problems.append('%s: event %s is not in the export' % (where, want['id']))
            continue
        for part in ('author', 'data'):
            for key, value in want[part].items():
                strings += 1
                if got[part].get(key) != value:
                    problems.append('%s: %s.%s: wrote %r, exported %r'
                                    % (where, part, key, value, got[part].get(key)))
    if problems:
        print('%d of %d strings differ; the first:' % (len(problems), strings))
        for p in problems[:10]:
            print('  ' + p)
        return 1
    print('%d events, %d strings: all exported as written' % (len(expected), strings))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    g = sub.add_parser('generate')
    g.add_argument('--count', type=int, default=10000)
    g.add_argument('--seed', type=int, default=11)
    g.add_argument('--out', required=True)
    g.add_argument('--expected', required=True)
    c = sub.add_parser('compare')
    c.add_argument('--export', required=True)
    c.add_argument('--expected', required=True)
    args = parser.parse_args()
    return generate(args) if args.command == 'generate' else compare(args)


if __name__ == '__main__':
    sys.exit(main() or 0)
