using Microsoft.Extensions.Logging;

namespace Exchange.Cluster.Tests;

/// <summary>
/// The library's own logging (RaftCluster's warnings and errors, with their exceptions) to a file per node, when the
/// environment variable <c>EXCHANGE_TEST_RAFT_LOG</c> names a directory; nothing otherwise. For looking into a fault a
/// test loop met (docs/cluster.md, "The write-ahead log's flusher and an installed snapshot").
/// </summary>
internal sealed class FileLog : ILoggerFactory
{
    private readonly StreamWriter _writer;
    private readonly string _node;

    private FileLog(string path, string node)
    {
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        _node = node;
    }

    public static ILoggerFactory? For(int node)
    {
        var directory = Environment.GetEnvironmentVariable("EXCHANGE_TEST_RAFT_LOG");
        if (string.IsNullOrEmpty(directory))
            return null;
        Directory.CreateDirectory(directory);
        return new FileLog(Path.Combine(directory, $"raft-{Environment.ProcessId}.log"), $"node{node}");
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private void Write(LogLevel level, string category, string message, Exception? exception)
    {
        lock (_writer)
            _writer.WriteLine($"{DateTime.UtcNow:HH:mm:ss.ffffff} {_node} {level} {category}: {message}{(exception is null ? "" : Environment.NewLine + exception)}");
    }

    private sealed class Logger(FileLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                log.Write(logLevel, category, formatter(state, exception), exception);
        }
    }
}
