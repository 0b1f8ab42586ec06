using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

public sealed class BatchEndsTests
{
    [Fact]
    public void NothingMoreWaiting_EndsTheBatchEveryTime()
    {
        var ends = new BatchEnds();
        for (int i = 0; i < 20; i++)
            Assert.True(ends.ShouldSignal(moreWaiting: false));
    }

    [Fact]
    public void WorkKeepsComing_EndsTheBatchEveryMaxBatches_AndWhenTheQueueRunsDry()
    {
        var ends = new BatchEnds();
        var signalled = new List<int>();
        for (int i = 1; i <= 3 * BatchEnds.MaxBatches; i++)
            if (ends.ShouldSignal(moreWaiting: true))
                signalled.Add(i);

        Assert.Equal([BatchEnds.MaxBatches, 2 * BatchEnds.MaxBatches, 3 * BatchEnds.MaxBatches], signalled);
        Assert.False(ends.ShouldSignal(moreWaiting: true));
        Assert.True(ends.ShouldSignal(moreWaiting: false));
        Assert.False(ends.ShouldSignal(moreWaiting: true));
    }
}
