/** EMF lines as CloudWatch reads them (and as Powertools Metrics wrote them before). */
import { describe, expect, it } from '@jest/globals';
import { EmfMetrics, MetricUnit } from '../../lib/observability/metrics.ts';

function recorder(enabled = true) {
  const lines: any[] = [];
  const m = new EmfMetrics({
    namespace: 'IntercomActions',
    service: 'intercom-actions',
    enabled,
    write: (line) => lines.push(JSON.parse(line)),
  });
  return { m, lines };
}

describe('EMF metrics', () => {
  it('writes one record per flush: each metric once, a value or the list of values', () => {
    const { m, lines } = recorder();
    m.addMetric('Requests', MetricUnit.Count, 1);
    m.addMetric('IntercomLatency', MetricUnit.Milliseconds, 12);
    m.addMetric('IntercomLatency', MetricUnit.Milliseconds, 30);
    m.publishStoredMetrics();
    m.publishStoredMetrics();
    expect(lines).toHaveLength(1);
    const [record] = lines;
    expect(record._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'IntercomActions',
        Dimensions: [['service']],
        Metrics: [
          { Name: 'Requests', Unit: 'Count' },
          { Name: 'IntercomLatency', Unit: 'Milliseconds' },
        ],
      },
    ]);
    expect(typeof record._aws.Timestamp).toBe('number');
    expect(record).toMatchObject({ service: 'intercom-actions', Requests: 1, IntercomLatency: [12, 30] });
  });

  it('writes a metric at its 100th value (EMF takes no more in one record)', () => {
    const { m, lines } = recorder();
    for (let i = 0; i < 150; i++) m.addMetric('IntercomLatency', MetricUnit.Milliseconds, i);
    expect(lines).toHaveLength(1);
    expect(lines[0].IntercomLatency).toHaveLength(100);
    m.publishStoredMetrics();
    expect(lines[1].IntercomLatency).toHaveLength(50);
  });

  it('writes a dimensional metric at once, under service and its own dimension', () => {
    const { m, lines } = recorder();
    m.addDimensionalMetric('ErrorCode', 'unauthorized', 'Errors', MetricUnit.Count, 1);
    expect(lines).toEqual([
      expect.objectContaining({ service: 'intercom-actions', ErrorCode: 'unauthorized', Errors: 1 }),
    ]);
    expect(lines[0]._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'ErrorCode']]);
  });

  it('describes each record by its own metrics, whatever sets came before (the metadata is cached per set)', () => {
    const { m, lines } = recorder();
    const sets: [string, MetricUnit][][] = [
      [
        ['Requests', MetricUnit.Count],
        ['IntercomLatency', MetricUnit.Milliseconds],
      ],
      [['Requests', MetricUnit.Count]],
      [
        ['IntercomLatency', MetricUnit.Milliseconds],
        ['Requests', MetricUnit.Count],
      ],
      [
        ['Requests', MetricUnit.Count],
        ['IntercomLatency', MetricUnit.Milliseconds],
      ],
      // A name seen before with another unit.
      [['Requests', MetricUnit.Milliseconds]],
      [['Requests', MetricUnit.Count]],
    ];
    for (const set of sets) {
      for (const [name, unit] of set) m.addMetric(name, unit, 1);
      m.publishStoredMetrics();
    }
    expect(lines.map((line) => line._aws.CloudWatchMetrics[0].Metrics)).toEqual(
      sets.map((set) => set.map(([Name, Unit]) => ({ Name, Unit }))),
    );
  });

  it('writes nothing when disabled', () => {
    const { m, lines } = recorder(false);
    m.addMetric('Requests', MetricUnit.Count, 1);
    m.addDimensionalMetric('ErrorCode', 'x', 'Errors', MetricUnit.Count, 1);
    m.publishStoredMetrics();
    expect(lines).toEqual([]);
  });
});
