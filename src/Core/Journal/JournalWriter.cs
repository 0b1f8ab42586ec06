using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Exchange.Core.Commands;
using Microsoft.Win32.SafeHandles;

namespace Exchange.Core.Journal;

/// <summary>
/// The file journal (<see cref="IJournal"/>): appends commands to append-only files in one directory, each named
/// after its first sequence and rotated by size. Group commit: append a batch (the commands of one ring batch), then
/// <see cref="Commit"/> writes it in one call and fsyncs per <see cref="FsyncPolicy"/>. Records are encoded into
/// a buffer allocated once, so appending allocates nothing.
/// </summary>
/// <remarks>
/// Opening a directory that already holds a journal continues it: a torn tail left by a crash is cut off first
/// (and a last file left empty is removed), so the next record follows the last valid one. The writer holds the
/// directory's <see cref="DirectoryLock"/> from open to dispose, so a second writer (another server on the same
/// directory) is refused before it touches a file. Single-threaded: the journal consumer owns it; the one exception is
/// the idle fsync of <see cref="FsyncPolicy.IntervalMs"/>, a timer that fsyncs the last batch once the writer has been
/// idle for an interval (under a lock it shares only with <see cref="Sync"/>, rotation and dispose). After an I/O
/// exception, dispose it and open a new one, which repairs the tail.
/// </remarks>
public sealed class JournalWriter : IJournal
{
    private readonly JournalOptions _options;
    private readonly byte[] _buffer;
    private readonly TimeProvider _time;
    private readonly long _fsyncIntervalTicks;
    private readonly DirectoryLock _lock;
    // Taken around each fsync, file switch and close: the idle-sync timer's only contact with the writer.
    private readonly Lock _syncGate = new();
    private readonly ITimer? _idleSync;
    // Under interval and never: starts the write-back of the file being written every interval (Writeback), so the
    // fsync of a file switch, on the journal's thread, finds little left to write.
    private readonly ITimer? _writeback;
    // The write-back timer's own: its read-only handle of the file being written, and that file's path (under the gate).
    private readonly Lock _writebackGate = new();
    private SafeFileHandle? _writebackHandle;
    private string? _writebackPath;
    private string? _path;
    private FileStream? _file;
    private int _bufferCount;
    private long _fileLength;
    private long _lastSyncTimestamp;
    private long _lastCommitTimestamp;
    private long _flushedSequence = -1;
    private long _syncedSequence = -1;
    private bool _disposed;

    /// <summary>Opens (or creates) the journal in <see cref="JournalOptions.Directory"/>.</summary>
    /// <exception cref="JournalCorruptException">The last file is damaged other than by a torn tail.</exception>
    /// <exception cref="DirectoryInUseException">Another writer holds the directory.</exception>
    public JournalWriter(JournalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxFileBytes, JournalRecord.Size);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BufferBytes, JournalRecord.Size);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.FsyncIntervalMs);
        ArgumentNullException.ThrowIfNull(options.TimeProvider);

        _options = options;
        _time = options.TimeProvider;
        _fsyncIntervalTicks = options.FsyncIntervalMs * _time.TimestampFrequency / 1000;
        _buffer = new byte[options.BufferBytes];
        _lock = DirectoryLock.Acquire(options.Directory);
        try
        {
            OpenExisting();
        }
        catch
        {
            _lock.Dispose();
            throw;
        }

        _lastSyncTimestamp = _lastCommitTimestamp = _time.GetTimestamp();
        if (options.Fsync == FsyncPolicy.IntervalMs)
        {
            var period = TimeSpan.FromMilliseconds(options.FsyncIntervalMs);
            _idleSync = _time.CreateTimer(static state => ((JournalWriter)state!).SyncIfIdle(), this, period, period);
        }

        if (options.Fsync != FsyncPolicy.EveryBatch && OperatingSystem.IsLinux())
        {
            var period = TimeSpan.FromMilliseconds(options.FsyncIntervalMs);
            _writeback = _time.CreateTimer(static state => ((JournalWriter)state!).StartWriteback(), this, period, period);
        }
    }

    /// <summary>The sequence of the last appended command; -1 for an empty journal.</summary>
    public long LastSequence { get; private set; } = -1;

    /// <summary>The last sequence handed to the OS (survives a process crash).</summary>
    public long FlushedSequence
    {
        get => Volatile.Read(ref _flushedSequence);
        private set => Volatile.Write(ref _flushedSequence, value);
    }

    /// <summary>The last sequence fsynced (survives power loss).</summary>
    public long SyncedSequence
    {
        get => Volatile.Read(ref _syncedSequence);
        private set => Volatile.Write(ref _syncedSequence, value);
    }

    /// <summary>Encodes <paramref name="command"/> as the next record; it is written at the next <see cref="Commit"/>.</summary>
    /// <param name="command">The command; its <see cref="Command.Sequence"/> is the record's and must exceed <see cref="LastSequence"/>.</param>
    public void Append(in Command command)
    {
        long sequence = command.Sequence;
        if (sequence <= LastSequence)
            ThrowSequenceNotIncreasing(sequence, LastSequence);
        if (_file is null || (_fileLength > 0 && _fileLength + JournalRecord.Size > _options.MaxFileBytes))
            StartFile(sequence);
        if (_buffer.Length - _bufferCount < JournalRecord.Size)
            WriteBuffer();

        JournalRecord.Write(_buffer.AsSpan(_bufferCount), command);
        _bufferCount += JournalRecord.Size;
        _fileLength += JournalRecord.Size;
        LastSequence = sequence;
    }

    /// <summary>
    /// Ends a batch: writes the appended records to the file and fsyncs if the <see cref="FsyncPolicy"/> says so.
    /// Afterwards <see cref="FlushedSequence"/> (and, when fsynced, <see cref="SyncedSequence"/>) is
    /// <see cref="LastSequence"/>.
    /// </summary>
    public void Commit()
    {
        if (_bufferCount > 0)
            WriteBuffer();

        switch (_options.Fsync)
        {
            case FsyncPolicy.EveryBatch:
                Sync();
                break;
            case FsyncPolicy.IntervalMs:
                long now = _time.GetTimestamp();
                Volatile.Write(ref _lastCommitTimestamp, now);
                if (now - Volatile.Read(ref _lastSyncTimestamp) >= _fsyncIntervalTicks)
                    Sync();
                break;
        }
    }

    /// <summary>
    /// Writes anything appended and fsyncs now, whatever the policy (for an idle journal under
    /// <see cref="FsyncPolicy.IntervalMs"/>, or before acknowledging something that must be durable).
    /// </summary>
    public void Sync()
    {
        if (_bufferCount > 0)
            WriteBuffer();
        lock (_syncGate)
            FlushToDisk();
    }

    /// <summary>Writes, fsyncs and closes the current file, and releases the directory.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _idleSync?.Dispose();
        _writeback?.Dispose();
        lock (_writebackGate)
        {
            _writebackHandle?.Dispose();
            _writebackHandle = null;
        }
        try
        {
            if (_file is not null)
            {
                Sync();
                lock (_syncGate)
                {
                    _file.Dispose();
                    _file = null;
                }
            }
        }
        finally
        {
            _lock.Dispose();
        }
    }

    /// <summary>
    /// The idle fsync of <see cref="FsyncPolicy.IntervalMs"/> (a timer thread): a commit fsyncs only once the interval
    /// has passed, so the last batch before a pause would stay in the page cache for as long as the pause lasts. Once no
    /// commit has come for an interval, this fsyncs what was written: the loss window on power failure is then at most
    /// about two intervals, busy or idle. While commits keep coming it does nothing (they sync themselves).
    /// </summary>
    private void SyncIfIdle()
    {
        long now = _time.GetTimestamp();
        if (now - Volatile.Read(ref _lastCommitTimestamp) < _fsyncIntervalTicks
            || now - Volatile.Read(ref _lastSyncTimestamp) < _fsyncIntervalTicks)
            return;
        lock (_syncGate)
        {
            // FlushedSequence is stored after its bytes were written, so everything up to the value read is the OS's:
            // fsyncing the file (safe beside a concurrent write; no FileStream state is shared with it) makes it durable.
            if (_file is not null && SyncedSequence < FlushedSequence)
                FlushToDisk();
        }
    }

    /// <summary>
    /// The write-back timer (interval and never policies): starts writing back the file being written, so a file switch's
    /// fsync (<see cref="StartFile"/>, on the journal's thread) finds little left to write. Nothing becomes durable by it
    /// that the policy does not promise, and <see cref="SyncedSequence"/> does not move: only the switch's (and the
    /// interval's) fsyncs count. It writes back through a read-only handle of its own, so it shares no state with the
    /// writer; the handle is opened once per file (by its path, when the path it last opened is no longer the writer's)
    /// and kept, not opened and closed every interval (about six system calls each time, idle or not).
    /// </summary>
    private void StartWriteback()
    {
        // Timer callbacks may overlap, and Dispose closes the handle: the gate orders them. The journal's thread never
        // takes it.
        lock (_writebackGate)
        {
            if (_disposed || Volatile.Read(ref _path) is not { } path)
                return;
            if (!ReferenceEquals(path, _writebackPath))
            {
                _writebackHandle?.Dispose();
                _writebackHandle = Writeback.Open(path);
                _writebackPath = path;
                WritebackOpens++;
            }

            if (_writebackHandle is { } handle)
                Writeback.Start(handle);
        }
    }

    /// <summary>How often the write-back timer opened a journal file (once per file it wrote back): for tests.</summary>
    internal int WritebackOpens { get; private set; }

    // Under _syncGate.
    private void FlushToDisk()
    {
        long flushed = FlushedSequence;
        if (_file is not null && SyncedSequence < flushed)
        {
            _file.Flush(flushToDisk: true);
            SyncedSequence = flushed;
        }

        Volatile.Write(ref _lastSyncTimestamp, _time.GetTimestamp());
    }

    private void WriteBuffer()
    {
        _file!.Write(_buffer, 0, _bufferCount);
        _bufferCount = 0;
        FlushedSequence = LastSequence;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void StartFile(long firstSequence)
    {
        if (_file is not null)
        {
            // Always fsynced, whatever the policy: a reader treats damage in any file but the last as corruption,
            // so a file must be complete on disk before a later one can exist.
            Sync();
        }

        var path = JournalFile.PathFor(_options.Directory, firstSequence);
        var next = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
        lock (_syncGate)
        {
            _file?.Dispose();
            _file = next;
        }

        Volatile.Write(ref _path, path);

        _fileLength = 0;
    }

    private void OpenExisting()
    {
        var files = JournalFile.List(_options.Directory);
        for (int i = files.Length - 1; i >= 0; i--)
        {
            var file = files[i];
            long lastSequence;
            long validEnd;
            using (var reader = new JournalReader(_options.Directory, file.FirstSequence))
            {
                JournalReadStatus status;
                while ((status = reader.Read(out _)) == JournalReadStatus.Record)
                {
                }

                lastSequence = reader.LastSequence;
                validEnd = status == JournalReadStatus.TornTail ? reader.TornTail.Offset : new FileInfo(file.Path).Length;
            }

            if (validEnd == 0)
            {
                // No complete record: the next append starts a file named after its own sequence instead.
                File.Delete(file.Path);
                continue;
            }

            var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 0);
            if (stream.Length != validEnd)
                stream.SetLength(validEnd);
            // Whatever a crashed writer left in the page cache (and the cut) is made durable before we build on it.
            stream.Flush(flushToDisk: true);

            stream.Seek(0, SeekOrigin.End);
            _file = stream;
            _path = file.Path;
            _fileLength = validEnd;
            LastSequence = FlushedSequence = SyncedSequence = lastSequence;
            return;
        }
    }

    [DoesNotReturn]
    private static void ThrowSequenceNotIncreasing(long sequence, long last) =>
        throw new ArgumentOutOfRangeException(nameof(sequence), sequence,
            $"Journal sequences must increase: {sequence} does not follow {last}.");
}
