using Exchange.Gateway.Metrics;

namespace Exchange.Gateway.Tests.Metrics;

public sealed class SampleRingTests
{
    [Fact]
    public void Drain_HandsOverTheSamplesInOrder_AndEmptiesTheRing()
    {
        var ring = new SampleRing(8);
        for (var i = 1; i <= 5; i++) ring.Add(i);
        var sink = new ListSink([]);
        Assert.Equal(5, ring.Drain(ref sink));
        Assert.Equal([1L, 2, 3, 4, 5], sink.Samples);
        Assert.Equal(0, ring.Drain(ref sink));
    }

    [Fact]
    public void Add_WhenFull_DropsAndCounts_ThenTakesAgainAfterADrain()
    {
        var ring = new SampleRing(4);
        for (var i = 0; i < 7; i++) ring.Add(i);
        Assert.Equal(3, ring.Dropped);
        var sink = new ListSink([]);
        Assert.Equal(4, ring.Drain(ref sink));
        Assert.Equal([0L, 1, 2, 3], sink.Samples);
        ring.Add(9);
        Assert.Equal(1, ring.Drain(ref sink));
        Assert.Equal(9, sink.Samples[^1]);
    }

    [Fact]
    public void AddAndDrain_OnTwoThreads_LoseNothingThatWasNotCountedAsDropped()
    {
        const int count = 200_000;
        var ring = new SampleRing(1024);
        var sink = new CheckingSink();
        var producer = new Thread(() => { for (var i = 1; i <= count; i++) ring.Add(i); });
        producer.Start();
        while (producer.IsAlive) ring.Drain(ref sink);
        ring.Drain(ref sink);
        Assert.Equal(count, sink.Taken + ring.Dropped);
        Assert.True(sink.Increasing);
    }

    [Fact]
    public void Constructor_RefusesASizeThatIsNotAPowerOfTwo() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SampleRing(1000));

    private readonly struct ListSink(List<long> samples) : ISampleSink
    {
        public List<long> Samples { get; } = samples;

        public void Take(long sample) => Samples.Add(sample);
    }

    private struct CheckingSink : ISampleSink
    {
        private long _last;

        public CheckingSink() => Increasing = true;

        public long Taken { get; private set; }
        public bool Increasing { get; private set; }

        public void Take(long sample)
        {
            if (sample <= _last) Increasing = false;
            _last = sample;
            Taken++;
        }
    }
}
