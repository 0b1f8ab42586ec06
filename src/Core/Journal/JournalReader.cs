using System.Runtime.CompilerServices;
using Exchange.Core.Commands;

namespace Exchange.Core.Journal;

/// <summary>
/// Reads journal records in sequence order across the files of a journal directory, from a given sequence,
/// verifying each record's length and CRC32C, that sequences increase, and that each file starts with the
/// sequence in its name.
/// </summary>
/// <remarks>
/// A damaged record at the very end of the last file (an incomplete record, or a bad one followed by nothing but
/// zeros, which is what a crash mid-write leaves) is a torn tail: reported as
/// <see cref="JournalReadStatus.TornTail"/> with the cut point, not as an error. Any other damaged record throws
/// <see cref="JournalCorruptException"/>.
/// </remarks>
public sealed class JournalReader : IDisposable
{
    private const int ReadBufferBytes = 64 * 1024;

    private readonly JournalFile[] _files;
    private readonly long _fromSequence;
    private readonly byte[] _record = new byte[JournalRecord.Size];
    // The size of the record in _record: a format-1 record (a journal written before tokens) is shorter.
    private int _recordSize = JournalRecord.Size;
    private int _fileIndex;
    private FileStream? _stream;
    private long _offset;
    private long _fileLength;
    private bool _atFileStart;
    private JournalReadStatus? _finished;

    /// <summary>Opens the journal in <paramref name="directory"/> for reading from <paramref name="fromSequence"/>.</summary>
    /// <param name="directory">The journal directory.</param>
    /// <param name="fromSequence">
    /// The first sequence wanted. Reading starts in the file that holds it and skips (still verifying) the records
    /// before it; if the journal starts later, reading starts at its first record.
    /// </param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public JournalReader(string directory, long fromSequence = 0)
    {
        ArgumentNullException.ThrowIfNull(directory);
        _files = JournalFile.List(directory);
        _fromSequence = fromSequence;
        // The file names are first sequences, so the wanted one is in the last file that starts at or before it.
        for (int i = 1; i < _files.Length && _files[i].FirstSequence <= fromSequence; i++)
            _fileIndex = i;
    }

    /// <summary>The sequence of the last valid record read (returned or skipped); -1 before any.</summary>
    public long LastSequence { get; private set; } = -1;

    /// <summary>Where the torn tail was cut, after <see cref="Read"/> returned <see cref="JournalReadStatus.TornTail"/>.</summary>
    public JournalTornTail TornTail { get; private set; }

    /// <summary>Reads the next record at or after the starting sequence.</summary>
    /// <param name="command">The command, when the result is <see cref="JournalReadStatus.Record"/>.</param>
    /// <returns>A record, the clean end of the journal, or a torn tail (both final: later calls repeat them).</returns>
    /// <exception cref="JournalCorruptException">A damaged record that is not a torn tail.</exception>
    public JournalReadStatus Read(out Command command)
    {
        command = default;
        if (_finished is { } finished)
            return finished;

        while (true)
        {
            if (_stream is null && !OpenNextFile())
                return Finish(JournalReadStatus.End);

            var check = ReadRecord();
            if (check == RecordCheck.EndOfFile)
            {
                CloseFile();
                _fileIndex++;
                continue;
            }

            if (check != RecordCheck.Valid)
                return TornTailOrThrow(check);

            long sequence = JournalRecord.ReadSequence(_record);
            ValidateSequence(sequence);
            if (!CommandCodec.IsKnownFormat(_record.AsSpan(JournalRecord.HeaderSize)))
                throw Corrupt($"journal format {_record[JournalRecord.HeaderSize + CommandCodec.FormatOffset]} is not one this version " +
                    $"reads (2 or {CommandCodec.Format}): written by a newer version?");
            command = _recordSize == JournalRecord.Size
                ? CommandCodec.Read(_record.AsSpan(JournalRecord.HeaderSize))
                : CommandCodec.ReadLegacy(_record.AsSpan(JournalRecord.HeaderSize));
            if (command.Sequence != sequence)
                throw Corrupt($"the command's sequence {command.Sequence} differs from the record's {sequence}");

            LastSequence = sequence;
            _offset += _recordSize;
            _atFileStart = false;
            if (sequence >= _fromSequence)
                return JournalReadStatus.Record;
        }
    }

    /// <inheritdoc />
    public void Dispose() => CloseFile();

    private bool OpenNextFile()
    {
        if (_fileIndex >= _files.Length)
            return false;

        var file = _files[_fileIndex];
        _stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
            ReadBufferBytes, FileOptions.SequentialScan);
        _fileLength = _stream.Length;
        _offset = 0;
        _atFileStart = true;
        // Only the last file may be empty: a crash right after rotation created it.
        if (_fileLength == 0 && !IsLastFile)
            throw Corrupt("empty file before the last");
        return true;
    }

    private RecordCheck ReadRecord()
    {
        int read = _stream!.ReadAtLeast(_record, JournalRecord.Size, throwOnEndOfStream: false);
        if (read == 0)
            return RecordCheck.EndOfFile;
        if (read < JournalRecord.HeaderSize)
            return RecordCheck.Incomplete;
        int length = JournalRecord.ReadLength(_record);
        if (length != JournalRecord.PayloadLength && length != JournalRecord.LegacyPayloadLength)
        {
            _recordSize = JournalRecord.Size;
            return RecordCheck.BadLength;
        }
        _recordSize = JournalRecord.HeaderSize + length;
        if (read < _recordSize)
            return RecordCheck.Incomplete;
        // A format-1 record is shorter than what was read: the next record starts right after it.
        if (read > _recordSize)
            _stream.Position = _offset + _recordSize;
        return JournalRecord.HasValidCrc(_record, length) ? RecordCheck.Valid : RecordCheck.BadCrc;
    }

    private void ValidateSequence(long sequence)
    {
        if (_atFileStart && sequence != _files[_fileIndex].FirstSequence)
            throw Corrupt($"first sequence {sequence} does not match the file name");
        if (sequence <= LastSequence)
            throw Corrupt($"sequence {sequence} does not follow {LastSequence}");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private JournalReadStatus TornTailOrThrow(RecordCheck check)
    {
        if (IsLastFile && IsTail(check))
        {
            TornTail = new JournalTornTail(_files[_fileIndex].Path, _offset, _fileLength - _offset);
            CloseFile();
            return Finish(JournalReadStatus.TornTail);
        }

        throw Corrupt(check switch
        {
            RecordCheck.Incomplete => "incomplete record",
            RecordCheck.BadLength => $"invalid record length {JournalRecord.ReadLength(_record)}",
            _ => "CRC mismatch",
        });
    }

    /// <summary>
    /// Whether a damaged record is what a crash mid-write leaves: cut short by the end of the file, or followed only
    /// by zeros (space the file system allocated but the crash left unwritten).
    /// </summary>
    private bool IsTail(RecordCheck check)
    {
        if (check == RecordCheck.Incomplete)
            return true;
        long recordEnd = _offset + _recordSize;
        if (recordEnd >= _fileLength)
            return true;

        var stream = _stream!;
        stream.Position = recordEnd;
        Span<byte> chunk = stackalloc byte[4096];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (chunk[..read].ContainsAnyExcept((byte)0))
                return false;
        }

        return true;
    }

    private bool IsLastFile => _fileIndex == _files.Length - 1;

    private JournalReadStatus Finish(JournalReadStatus status)
    {
        _finished = status;
        return status;
    }

    private JournalCorruptException Corrupt(string reason) => new(_files[_fileIndex].Path, _offset, reason);

    private void CloseFile()
    {
        _stream?.Dispose();
        _stream = null;
    }

    private enum RecordCheck
    {
        Valid,
        EndOfFile,
        Incomplete,
        BadLength,
        BadCrc,
    }
}
