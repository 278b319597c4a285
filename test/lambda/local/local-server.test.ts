import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { Problem } from '../../../lib/contract/api';
import { MAX_BODY_BYTES } from '../../../lambda/api/http';
import { guardProcess } from '../../../lambda/local/local-server';
import { ApiHarness, principalOf } from '../../support/api-harness';
import { LocalEdge } from '../../support/local-edge';
import { serialize, signed, type RawAnswer, type RawResult } from '../../support/raw-http';

/**
 * The local server at the level of the socket: each kind of request that used to stop the
 * process, generated, then a normal signed request that must still succeed; the limits, each with
 * its answer; the signature bound to the bytes of the body; the access log.
 */

const run = promisify(execFile);
const MEMBER = principalOf('edge-member');
const TIMEOUT_MS = 500;
let api: ApiHarness;
let edge: LocalEdge;

beforeAll(async () => {
  api = await ApiHarness.start();
  await api.registerTeam('edge', [MEMBER], { tiers: ['S', 'M', 'L'], environments: ['dev'], maxClusters: 5 });
  edge = await LocalEdge.start(api, [MEMBER], { requestTimeoutMs: TIMEOUT_MS, headersTimeoutMs: TIMEOUT_MS, timeoutCheckIntervalMs: 50 });
});
afterEach(() => {
  expect(edge.crashes).toEqual([]);
  expect(edge.warnings).toEqual([]);
});
afterAll(async () => {
  await edge.stop();
  await api.stop();
});

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);
const LIST = { method: 'GET', target: '/clusters?environment=dev' };

/** The server still serves: a normal signed request succeeds. */
async function expectServing(): Promise<void> {
  const { answer } = await edge.send(LIST, MEMBER);
  expect(answer?.status).toBe(200);
}

/** A 4xx answer in RFC 9457 form, its status in the document too. */
function expectProblem(answer: RawAnswer | undefined, status?: number): Problem {
  expect(answer).toBeDefined();
  if (status !== undefined) expect(answer!.status).toBe(status);
  expect(answer!.status).toBeGreaterThanOrEqual(400);
  expect(answer!.status).toBeLessThan(500);
  expect(answer!.headers.get('content-type')).toBe('application/problem+json');
  const problem = Problem.parse(JSON.parse(answer!.body));
  expect(problem.status).toBe(answer!.status);
  return problem;
}

/** An answer that is not a server error (a problem if it is an error), or a connection the server closed. */
function expectAnsweredOrClosed({ answer, closedByServer }: RawResult): void {
  if (!answer) expect(closedByServer).toBe(true);
  else if (answer.status >= 400) expectProblem(answer);
  else expect(answer.status).toBe(200);
}

const amzDate = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
const header = fc.stringMatching(/^[a-z][a-z0-9_-]{0,15}$/).filter((name) => !/^(host|content-|transfer-|connection|expect|upgrade|authorization|x-amz-|te$|trailer)/.test(name));
const headerName = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), header);

describe('one request never stops the server', () => {
  it('query parameter names that are Object.prototype members, signed or not', async () => {
    const name = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.string({ maxLength: 12 }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(name, fc.string({ maxLength: 8 })), { minLength: 1, maxLength: 3 }), fc.boolean(), async (pairs, sign) => {
        const target = `/clusters?${new URLSearchParams(pairs).toString()}`;
        const { answer } = await edge.send({ method: 'GET', target }, sign ? MEMBER : undefined);
        const unknown = pairs.some(([key]) => !['environment', 'status', 'limit', 'nextToken'].includes(key));
        // The SDK's signer signs a `__proto__` name as `[object Object]`, which no verifier accepts.
        if (!sign || pairs.some(([key]) => key === '__proto__')) expectProblem(answer, 403);
        else if (unknown) expectProblem(answer, 400);
        else expect(answer?.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
    await expectServing();
  });

  it('every Object.prototype name as a query parameter, signed by curl --aws-sigv4, reaches the router and is refused as unknown', async () => {
    const { accessKeyId, secretAccessKey } = edge.identityOf(MEMBER);
    for (const name of PROTOTYPE_NAMES) {
      const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', '--aws-sigv4', 'aws:amz:us-east-1:execute-api', '--user', `${accessKeyId}:${secretAccessKey}`, `${edge.url}/clusters?${name}=1`]);
      const [body, status] = stdout.split('\n');
      expect([name, status]).toEqual([name, '400']);
      expect(JSON.parse(body).errors).toEqual([{ field: 'query', message: `Unrecognized key: "${name}"` }]);
    }
  });

  it('header names that are Object.prototype members, signed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.tuple(headerName, fc.stringMatching(/^[!-~]{1,12}$/)), { minLength: 1, maxLength: 4, selector: ([name]) => name.toLowerCase() }), async (fields) => {
        const { answer } = await edge.send({ ...LIST, headers: Object.fromEntries(fields) }, MEMBER);
        expect(answer?.status).toBe(200);
      }),
      { numRuns: 100 },
    );
  });

  it('header values that are not ASCII, signed as the bytes sent', async () => {
    for (const value of ['café', '☕ ok', 'a\tb  c']) {
      const { answer } = await edge.send({ ...LIST, headers: { 'x-note': value } }, MEMBER);
      expect([value, answer?.status]).toEqual([value, 200]);
    }
  });

  it('request targets that are not a plain path', async () => {
    const targets = fc.oneof(
      fc.constantFrom('//x', '//a:99999/', 'http://a:99999/', 'http://a/clusters', 'https://[::1', 'http://:0', '*', '/%', '/%zz/..', '/clusters/%E0%A4%A', '/..//..', 'a', '/clusters?%=%&&=', '/clusters#x'),
      fc.tuple(fc.constantFrom('', '/', '//', 'http://', 'http://a:', '/clusters/', '/clusters?'), fc.stringMatching(/^[!-~]{0,30}$/)).map(([head, tail]) => head + tail),
    );
    await fc.assert(
      fc.asyncProperty(targets, fc.boolean(), async (target, sign) => {
        const request = { method: 'GET', target };
        expectAnsweredOrClosed(await edge.sendRaw(serialize(sign && target.startsWith('/') ? await signed(request, edge.identityOf(MEMBER)) : request)));
      }),
      { numRuns: 200 },
    );
    await expectServing();
  });

  it('a client that aborts mid-body (closes or resets), or sends less body than its Content-Length', async () => {
    const cases = fc.record({ declared: fc.integer({ min: 1, max: 4000 }), fraction: fc.double({ min: 0, max: 0.99, noNaN: true }), then: fc.constantFrom('destroy', 'reset', 'end') });
    await fc.assert(
      fc.asyncProperty(cases, async ({ declared, fraction, then }) => {
        const body = '{"environment":"dev","tier":"S"}'.padEnd(declared, ' ').slice(0, Math.floor(declared * fraction));
        const request = serialize({ method: 'POST', target: '/clusters', headers: { 'content-type': 'application/json', 'content-length': String(declared) }, body });
        const result = await edge.sendRaw(request, { then });
        if (then === 'end') expectAnsweredOrClosed(result);
      }),
      { numRuns: 100 },
    );
    await expectServing();
  });

  it('a client that sends less body than its Content-Length and waits gets 408 and is closed', async () => {
    const request = serialize({ method: 'POST', target: '/clusters', headers: { 'content-type': 'application/json', 'content-length': '100' }, body: '{"env' });
    const result = await edge.sendRaw(request);
    expectProblem(result.answer, 408);
    expect(result.closedByServer).toBe(true);
    await expectServing();
  });

  it('a SignedHeaders list naming a header that was not sent, with a made-up signature', async () => {
    const { accessKeyId } = edge.identityOf(MEMBER);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(headerName.map((name) => name.toLowerCase()), { minLength: 1, maxLength: 3 }), fc.stringMatching(/^[0-9a-f]{64}$/), async (absent, signature) => {
        const date = amzDate();
        const signedHeaders = [...new Set(['host', 'x-amz-date', ...absent])].sort().join(';');
        const authorization = `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${date.slice(0, 8)}/us-east-1/execute-api/aws4_request, SignedHeaders=${signedHeaders}, Signature=${signature}`;
        const { answer } = await edge.send({ ...LIST, headers: { 'x-amz-date': date, authorization } });
        expect(expectProblem(answer, 403).detail).toMatch(/^The signed header .+ is not in the request\.$/);
      }),
      { numRuns: 100 },
    );
    await expectServing();
  });
});

describe('limits, each with its answer', () => {
  it('more header fields than allowed: 431', async () => {
    const headers = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`x-field-${i}`, 'v']));
    expectProblem((await edge.send({ ...LIST, headers })).answer, 431);
    await expectServing();
  });

  it('headers larger than allowed: 431 from the parser, still problem+json', async () => {
    const result = await edge.send({ ...LIST, headers: { 'x-big': 'v'.repeat(17 * 1024) } });
    expect(expectProblem(result.answer, 431).detail).toContain('16384 bytes');
    expect(result.closedByServer).toBe(true);
    await expectServing();
  });

  it('a request target longer than allowed: 414', async () => {
    expectProblem((await edge.send({ method: 'GET', target: `/clusters/${'c'.repeat(8 * 1024)}` }, MEMBER)).answer, 414);
    await expectServing();
  });

  it('a declared body larger than allowed: 413 at once, before any of it is sent', async () => {
    const result = await edge.sendRaw(serialize({ method: 'POST', target: '/clusters', headers: { 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES + 1) } }));
    expectProblem(result.answer, 413);
    expect(result.closedByServer).toBe(true);
  });

  it('a streamed body larger than allowed: 413 as soon as the bytes exceed it, the connection still open on the client side', async () => {
    const head = serialize({ method: 'POST', target: '/clusters', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } });
    const chunk = 'x'.repeat(MAX_BODY_BYTES + 1);
    const result = await edge.sendRaw([head, `${chunk.length.toString(16)}\r\n${chunk}\r\n`]);
    expectProblem(result.answer, 413);
    await expectServing();
  });

  it('Expect: 100-continue for a body larger than allowed: 413 without 100 Continue; within the limit, 100 Continue', async () => {
    const head = (length: number) => serialize({ method: 'POST', target: '/clusters', headers: { 'content-type': 'application/json', 'content-length': String(length), expect: '100-continue' } });
    const refused = await edge.sendRaw(head(MAX_BODY_BYTES + 1));
    expectProblem(refused.answer, 413);
    expect((await edge.sendRaw(head(10))).answer?.status).toBe(100);
  });

  it('a body within the limit passes the edge (the router answers it)', async () => {
    const body = JSON.stringify({ environment: 'dev', tier: 'S', pad: 'x'.repeat(MAX_BODY_BYTES - 100) });
    const { answer } = await edge.send({ method: 'POST', target: '/clusters', headers: { 'content-type': 'application/json' }, body }, MEMBER);
    expect(expectProblem(answer, 400).type).toMatch(/validation$/);
  });

  it('a client that does not finish its headers in time: 408, then closed', async () => {
    const result = await edge.sendRaw('GET /clusters HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    expectProblem(result.answer, 408);
    expect(result.closedByServer).toBe(true);
    await expectServing();
  });

  it('a client that connects and sends nothing is closed', async () => {
    const result = await edge.sendRaw('');
    expect(result.closedByServer).toBe(true);
  });
});

describe("requests Node's HTTP parser refuses still get problem+json", () => {
  const CASES: [string, string | Buffer, number][] = [
    ['a control byte in a header', 'GET /clusters HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n', 400],
    ['a raw space in the path', 'GET /clu sters HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['an unknown method', 'BREW /clusters HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['an over-long request line', `GET /${'a'.repeat(20 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431],
    ['a bad chunk size', 'POST /clusters HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
    ['two different Content-Lengths', 'POST /clusters HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400],
    ['a non-ASCII byte in the path', Buffer.concat([Buffer.from('GET /caf'), Buffer.from([0xc3, 0xa9]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]), 400],
    ['not HTTP at all', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 400],
    ['CONNECT', 'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n', 405],
    ['an expectation other than 100-continue', 'GET /clusters HTTP/1.1\r\nHost: x\r\nExpect: tea\r\n\r\n', 417],
  ];
  it.each(CASES)('%s', async (_, request, status) => {
    const result = await edge.sendRaw(request);
    expectProblem(result.answer, status);
    expect(result.closedByServer).toBe(true);
    await expectServing();
  });

  it('each of them from clients that close or reset the connection at once', async () => {
    for (let round = 0; round < 20; round++) {
      await Promise.all(CASES.map(([, request]) => edge.sendRaw(request, { then: round % 2 ? 'reset' : 'destroy' })));
    }
    await expectServing();
  });
});

describe('an unsigned or keyless request', () => {
  it('signed by curl --aws-sigv4 with an empty access key (an unset shell variable) says that the key is missing', async () => {
    const { secretAccessKey } = edge.identityOf(MEMBER);
    for (const user of [':', `:${secretAccessKey}`]) {
      const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', '--aws-sigv4', 'aws:amz:us-east-1:execute-api', '--user', user, `${edge.url}/clusters`]);
      const [body, status] = stdout.split('\n');
      expect([user, status]).toEqual([user, '403']);
      const problem = Problem.parse(JSON.parse(body));
      expect(problem.detail).toMatch(/^The access key id is missing/);
      expect(problem.detail).not.toContain('AWS4-HMAC-SHA256 signature');
    }
  });

  it('with a key that is not one of the server\'s is told the token is invalid, not that the key is missing', async () => {
    const { stdout } = await run('curl', ['-s', '--aws-sigv4', 'aws:amz:us-east-1:execute-api', '--user', 'AKIALOCALUNKNOWN0000:secret', `${edge.url}/clusters`]);
    expect(Problem.parse(JSON.parse(stdout)).detail).toBe('The security token included in the request is invalid.');
  });
});

describe('the signature binds the body', () => {
  const create = (tier: string) => ({ method: 'POST', target: '/clusters', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ environment: 'dev', tier }) });
  const clusterCount = async () => (await api.items('state')).filter((item) => item.sk === 'CLUSTER').length;

  it('a body swapped after signing (with x-amz-content-sha256) is refused: 403, and nothing is created', async () => {
    const before = await clusterCount();
    const request = await signed(create('S'), edge.identityOf(MEMBER));
    expect(Object.keys(request.headers!)).toContain('x-amz-content-sha256');
    const { answer } = await edge.sendRaw(serialize({ ...request, body: create('L').body }));
    expect(expectProblem(answer, 403).detail).toBe("The provided 'x-amz-content-sha256' header does not match what was computed.");
    expect(await clusterCount()).toBe(before);
  });

  it('a body swapped after signing (without x-amz-content-sha256) is refused: 403', async () => {
    const request = await signed(create('S'), edge.identityOf(MEMBER), { contentSha256: false });
    expect(Object.keys(request.headers!)).not.toContain('x-amz-content-sha256');
    const { answer } = await edge.sendRaw(serialize({ ...request, body: create('L').body }));
    expect(expectProblem(answer, 403).detail).toBe('The request signature we calculated does not match the signature you provided.');
  });

  it('the body as signed is accepted', async () => {
    const { answer } = await edge.send(create('M'), MEMBER);
    expect(answer?.status).toBe(202);
  });

  it('a correctly signed body that is not UTF-8: 400 for the encoding', async () => {
    const body = Buffer.concat([Buffer.from('{"environment":"dev","tier":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const { answer } = await edge.send({ method: 'POST', target: '/clusters', headers: { 'content-type': 'application/json' }, body }, MEMBER);
    expect(expectProblem(answer, 400).detail).toBe('The body is not valid UTF-8.');
  });
});

describe('the process guard', () => {
  it('logs what escapes every handler and keeps the process; removed, it is gone', () => {
    const lines: string[] = [];
    const remove = guardProcess((line) => lines.push(line));
    process.emit('unhandledRejection', new Error('escaped'), Promise.resolve());
    remove();
    process.emit('unhandledRejection', new Error('after removal'), Promise.resolve());
    expect(lines).toEqual([expect.stringContaining('Error: escaped')]);
  });
});

describe('the access log', () => {
  const lineOf = (requestId: string | undefined) => JSON.parse(edge.accessLog.find((line) => JSON.parse(line).requestId === requestId)!);

  it("writes one line per request in API Gateway's access log format", async () => {
    const { answer } = await edge.send({ method: 'GET', target: '/clusters/c-0000000000000000?x=1' }, MEMBER);
    const requestId = answer!.headers.get('x-request-id');
    expect(edge.accessLog.filter((line) => JSON.parse(line).requestId === requestId)).toHaveLength(1);
    expect(lineOf(requestId)).toEqual({
      requestId,
      ip: '127.0.0.1',
      caller: edge.identityOf(MEMBER).accessKeyId,
      user: edge.identityOf(MEMBER).accessKeyId,
      userArn: MEMBER,
      requestTime: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
      httpMethod: 'GET',
      resourcePath: '/clusters/{clusterId}',
      path: '/clusters/c-0000000000000000',
      status: String(answer!.status),
      protocol: 'HTTP/1.1',
      responseLength: String(Buffer.byteLength(answer!.body)),
      responseLatency: expect.stringMatching(/^\d+$/),
      errorMessage: '-',
      wafStatus: '-',
    });
  });

  it('logs what the edge refuses, with its reason, and what the parser refuses', async () => {
    const { answer } = await edge.send(LIST);
    expect(lineOf(answer!.headers.get('x-request-id'))).toMatchObject({ status: '403', userArn: '-', caller: '-', errorMessage: 'Missing Authentication Token', resourcePath: '/clusters' });
    const refused = await edge.sendRaw('BREW / HTTP/1.1\r\n\r\n');
    expect(lineOf(refused.answer!.headers.get('x-request-id'))).toMatchObject({ status: '400', httpMethod: '-', errorMessage: expect.stringContaining('not valid HTTP/1.1') });
  });
});
