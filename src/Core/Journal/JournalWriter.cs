using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Exchange.Core.Commands;

namespace Exchange.Core.Journal;

/// <summary>
/// The file journal (<see cref="IJournal"/>): appends commands to append-only files in one directory, each named
/// after its first sequence and rotated by size. Group commit: append a batch (the commands of one ring batch), then
/// <see cref="Commit"/> writes it in one call and fsyncs per <see cref="FsyncPolicy"/>. Records are encoded into
/// a buffer allocated once, so appending allocates nothing.
/// </summary>
/// <remarks>
/// Opening a directory that already holds a journal continues it: a torn tail left by a crash is cut off first
/// (and a last file left empty is removed), so the next record follows the last valid one. Single-threaded: the
/// journal consumer owns it. After an I/O exception, dispose it and open a new one, which repairs the tail.
/// </remarks>
public sealed class JournalWriter : IJournal
{
    private readonly JournalOptions _options;
    private readonly byte[] _buffer;
    private readonly TimeProvider _time;
    private readonly long _fsyncIntervalTicks;
    private FileStream? _file;
    private int _bufferCount;
    private long _fileLength;
    private long _lastSyncTimestamp;

    /// <summary>Opens (or creates) the journal in <see cref="JournalOptions.Directory"/>.</summary>
    /// <exception cref="JournalCorruptException">The last file is damaged other than by a torn tail.</exception>
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
        Directory.CreateDirectory(options.Directory);
        OpenExisting();
        _lastSyncTimestamp = _time.GetTimestamp();
    }

    /// <summary>The sequence of the last appended command; -1 for an empty journal.</summary>
    public long LastSequence { get; private set; } = -1;

    /// <summary>The last sequence handed to the OS (survives a process crash).</summary>
    public long FlushedSequence { get; private set; } = -1;

    /// <summary>The last sequence fsynced (survives power loss).</summary>
    public long SyncedSequence { get; private set; } = -1;

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
            case FsyncPolicy.IntervalMs when _time.GetTimestamp() - _lastSyncTimestamp >= _fsyncIntervalTicks:
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
        if (_file is not null && SyncedSequence < FlushedSequence)
        {
            _file.Flush(flushToDisk: true);
            SyncedSequence = FlushedSequence;
        }

        _lastSyncTimestamp = _time.GetTimestamp();
    }

    /// <summary>Writes, fsyncs and closes the current file.</summary>
    public void Dispose()
    {
        if (_file is null)
            return;
        Sync();
        _file.Dispose();
        _file = null;
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
            _file.Dispose();
        }

        _file = new FileStream(JournalFile.PathFor(_options.Directory, firstSequence), FileMode.CreateNew,
            FileAccess.Write, FileShare.Read, bufferSize: 0);
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
