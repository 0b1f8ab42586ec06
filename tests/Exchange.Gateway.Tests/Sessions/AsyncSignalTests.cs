using Exchange.Gateway.Sessions;

namespace Exchange.Gateway.Tests.Sessions;

public sealed class AsyncSignalTests
{
    [Fact]
    public async Task SetBeforeTheWait_CompletesTheWaitAtOnce_AndSetsCoalesce()
    {
        var signal = new AsyncSignal();
        signal.Set();
        signal.Set();

        Assert.True(signal.WaitAsync().IsCompleted);
        var next = signal.WaitAsync();
        Assert.False(next.IsCompleted);
        signal.Set();
        await next.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task SetInline_RunsTheWaiterOnTheCallingThread_BeforeReturning()
    {
        var signal = new AsyncSignal();
        var ran = new TaskCompletionSource<int>();
        var waiter = Task.Run(async () =>
        {
            await signal.WaitAsync().ConfigureAwait(false);
            ran.SetResult(Environment.CurrentManagedThreadId);
        });
        await WaitUntilWaitingAsync(signal, waiter);

        signal.SetInline();

        Assert.True(ran.Task.IsCompleted, "the waiter ran before SetInline returned");
        Assert.Equal(Environment.CurrentManagedThreadId, await ran.Task);
    }

    [Fact]
    public async Task Set_ReturnsWithoutRunningTheWaiter()
    {
        var signal = new AsyncSignal();
        using var release = new ManualResetEventSlim();
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiter = Task.Run(async () =>
        {
            await signal.WaitAsync().ConfigureAwait(false);
            release.Wait();
            ran.SetResult();
        });
        await WaitUntilWaitingAsync(signal, waiter);

        // Were the waiter run inside Set, it would block there on the event below, and Set would not return.
        using var returned = new ManualResetEventSlim();
        var setter = new Thread(() =>
        {
            signal.Set();
            returned.Set();
        });
        setter.Start();
        var setReturned = returned.Wait(TimeSpan.FromSeconds(5));
        release.Set();

        Assert.True(setReturned, "Set ran the waiter instead of handing it to the pool");
        await ran.Task.WaitAsync(TimeSpan.FromSeconds(5));
        setter.Join();
    }

    /// <summary>Until the waiter is parked in WaitAsync (a Set now completes the wait rather than pre-setting it).</summary>
    private static async Task WaitUntilWaitingAsync(AsyncSignal signal, Task waiter)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!signal.IsWaiting)
        {
            Assert.False(waiter.IsCompleted);
            Assert.True(DateTime.UtcNow < deadline, "the waiter never waited");
            await Task.Delay(1);
        }
    }
}
