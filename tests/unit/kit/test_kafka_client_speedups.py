"""kafka-python computes every record batch's CRC-32C (checked on each fetch, written on each produce) in pure Python
unless the `crc32c` C extension is importable; the kit depends on it. No I/O."""


def test_kafka_python_checks_record_crcs_with_the_c_extension():
    import crc32c
    from kafka.record import util

    assert util._crc32c is crc32c.crc32c


def test_the_c_extension_gives_the_same_checksum_as_kafka_pythons_own():
    from kafka.record._crc32c import crc as pure_python_crc
    from kafka.record.util import calc_crc32c

    data = memoryview(bytes(range(256)) * 40)
    assert calc_crc32c(data) == pure_python_crc(data)
