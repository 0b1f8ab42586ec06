using System.Runtime.ExceptionServices;

namespace Exchange.Core.Tests.Pipeline;

/// <summary>A background thread for a test's producer or waiter, with bounded joins and its exception kept for the test.</summary>
internal sealed class TestThread
{
    private readonly Thread _thread;
    private volatile Exception? _error;

    private TestThread(Action body)
    {
        _thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception exception)
            {
                _error = exception;
            }
        }) { IsBackground = true, Name = "test thread" };
    }

    public ThreadState State => _thread.ThreadState;

    public static TestThread Start(Action body)
    {
        var thread = new TestThread(body);
        thread._thread.Start();
        return thread;
    }

    /// <summary>Whether the thread finished within <paramref name="milliseconds"/>.</summary>
    public bool Join(int milliseconds) => _thread.Join(milliseconds);

    /// <summary>Fails unless the thread finishes within <see cref="Eventually.Timeout"/>; rethrows its exception.</summary>
    public void AssertCompletes(string what)
    {
        if (!_thread.Join(Eventually.Timeout))
            Assert.Fail($"Timed out after {Eventually.Timeout.TotalSeconds} s waiting for {what}.");
        if (_error is { } error)
            ExceptionDispatchInfo.Capture(error).Throw();
    }
}
