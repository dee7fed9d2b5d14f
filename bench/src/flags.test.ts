import { describe, expect, it } from 'vitest';
import { defaultOptions, parseBenchFlags } from './flags.js';

describe('parseBenchFlags', () => {
  it('gives the defaults without flags', () => {
    expect(parseBenchFlags([])).toEqual({ help: false, options: defaultOptions });
  });

  it('reads every flag', () => {
    const parsed = parseBenchFlags([
      '--rate=80',
      '--customers',
      '20',
      '--devices',
      '3',
      '--duration',
      '10',
      '--warmup',
      '0',
      '--ramp',
      '10, 20,40',
      '--step-duration',
      '4',
      '--storm-devices',
      '300',
      '--idle-streams',
      '500',
      '--scenarios',
      'a,c,e',
      '--slow-ms',
      '300',
      '--p99-limit',
      '100',
      '--drain',
      '5',
      '--out',
      '/tmp/x',
      '--cpu-prof',
      '--spans',
      '--top',
      '5',
      '--ingress-pods',
      '4',
      '--idle-ingress-pods',
      '1',
    ]);
    expect(parsed).toEqual({
      help: false,
      options: {
        rate: 80,
        customers: 20,
        devices: 3,
        duration: 10,
        warmup: 0,
        ramp: [10, 20, 40],
        stepDuration: 4,
        stormDevices: 300,
        idleStreams: 500,
        scenarios: new Set(['a', 'c', 'e']),
        slowMs: 300,
        p99LimitMs: 100,
        drain: 5,
        out: '/tmp/x',
        cpuProf: true,
        spans: true,
        top: 5,
        ingressPods: 4,
        idleIngressPods: 1,
      },
    });
  });

  it('answers --help', () => {
    expect(parseBenchFlags(['--help'])).toEqual({ help: true });
    expect(parseBenchFlags(['-h'])).toEqual({ help: true });
  });

  it.each([
    [['--rate', '0'], '--rate must be a whole number from 1 to 5000, got "0"'],
    [['--rate', 'fast'], '--rate must be a whole number from 1 to 5000, got "fast"'],
    [['--devices', '1'], '--devices must be a whole number from 2 to 10, got "1"'],
    [['--duration', '1.5'], '--duration must be a whole number from 1 to 3600, got "1.5"'],
    [
      ['--ramp', '50,25'],
      '--ramp must be ascending whole rates from 1 to 5000 separated by commas, got "50,25"',
    ],
    [
      ['--ramp', '10,,20'],
      '--ramp must be ascending whole rates from 1 to 5000 separated by commas, got "10,,20"',
    ],
    [['--storm-devices', '0'], '--storm-devices must be a whole number from 1 to 10000, got "0"'],
    [['--idle-streams', '20001'], '--idle-streams must be a whole number from 1 to 20000, got "20001"'],
    [['--scenarios', 'a,f'], '--scenarios must list some of a,b,c,d,e, got "a,f"'],
    [['--scenarios', ''], '--scenarios must list some of a,b,c,d,e, got ""'],
    [['--ingress-pods', '0'], '--ingress-pods must be a whole number from 1 to 8, got "0"'],
    [['--ingress-pods', '9'], '--ingress-pods must be a whole number from 1 to 8, got "9"'],
    [['--idle-ingress-pods', '9'], '--idle-ingress-pods must be a whole number from 0 to 8, got "9"'],
  ])('refuses %j with a message naming the flag', (argv, message) => {
    expect(() => parseBenchFlags(argv)).toThrow(expect.objectContaining({ code: 'invalid_flag', message }));
  });

  it('refuses unknown flags and stray arguments', () => {
    expect(() => parseBenchFlags(['--speed', '3'])).toThrow(
      expect.objectContaining({ code: 'invalid_flag', message: expect.stringContaining("'--speed'") }),
    );
    expect(() => parseBenchFlags(['now'])).toThrow(expect.objectContaining({ code: 'invalid_flag' }));
  });
});
