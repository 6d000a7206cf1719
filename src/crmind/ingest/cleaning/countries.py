"""Country names and codes as written in imports -> ISO 3166-1 alpha-2 codes.

Recognised: the alpha-2 and alpha-3 codes of every ISO 3166-1 country, its English short name and
the common alternatives listed below (``UK``, ``EIRE``, ``RSA``, ``Holland``, ``Czech Republic``,
Chinese names of frequent countries, ...). Matching ignores case, accents, dots, apostrophes,
brackets, commas, hyphens, a leading "The" and ``St``/``Saint``. Anything else, including the
non-countries ``Unspecified`` and ``European Community`` and the two-jurisdiction ``Channel
Islands`` (Jersey JE and Guernsey GG) of UCI Online Retail, gives null.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from crmind.errors import CrmindError
from crmind.ingest.cleaning.distinct import spread
from crmind.ingest.cleaning.text import as_text, clean_text

# alpha-2, alpha-3, then names separated by ";" (the first is the English short name)
_COUNTRIES = """\
AD AND Andorra
AE ARE United Arab Emirates; UAE; Emirates; 阿联酋
AF AFG Afghanistan
AG ATG Antigua and Barbuda
AI AIA Anguilla
AL ALB Albania
AM ARM Armenia
AO AGO Angola
AQ ATA Antarctica
AR ARG Argentina; 阿根廷
AS ASM American Samoa
AT AUT Austria; Österreich; 奥地利
AU AUS Australia; 澳大利亚; 澳洲
AW ABW Aruba
AX ALA Åland Islands; Aland
AZ AZE Azerbaijan
BA BIH Bosnia and Herzegovina; Bosnia
BB BRB Barbados
BD BGD Bangladesh
BE BEL Belgium; België; Belgique; 比利时
BF BFA Burkina Faso
BG BGR Bulgaria
BH BHR Bahrain
BI BDI Burundi
BJ BEN Benin
BL BLM Saint Barthélemy
BM BMU Bermuda
BN BRN Brunei; Brunei Darussalam
BO BOL Bolivia
BQ BES Caribbean Netherlands; Bonaire, Sint Eustatius and Saba
BR BRA Brazil; Brasil; 巴西
BS BHS Bahamas
BT BTN Bhutan
BV BVT Bouvet Island
BW BWA Botswana
BY BLR Belarus
BZ BLZ Belize
CA CAN Canada; 加拿大
CC CCK Cocos (Keeling) Islands; Cocos Islands
CD COD Democratic Republic of the Congo; DR Congo; DRC; Congo (Dem. Rep.); Congo-Kinshasa
CF CAF Central African Republic
CG COG Republic of the Congo; Congo; Congo (Rep.); Congo-Brazzaville
CH CHE Switzerland; Schweiz; Suisse; Svizzera; 瑞士
CI CIV Côte d'Ivoire; Ivory Coast
CK COK Cook Islands
CL CHL Chile; 智利
CM CMR Cameroon
CN CHN China; People's Republic of China; PRC; Mainland China; 中国; 中国大陆; 中华人民共和国
CO COL Colombia
CR CRI Costa Rica
CU CUB Cuba
CV CPV Cabo Verde; Cape Verde
CW CUW Curaçao
CX CXR Christmas Island
CY CYP Cyprus
CZ CZE Czechia; Czech Republic; 捷克
DE DEU Germany; Deutschland; 德国
DJ DJI Djibouti
DK DNK Denmark; Danmark; 丹麦
DM DMA Dominica
DO DOM Dominican Republic
DZ DZA Algeria
EC ECU Ecuador
EE EST Estonia
EG EGY Egypt; 埃及
EH ESH Western Sahara
ER ERI Eritrea
ES ESP Spain; España; 西班牙
ET ETH Ethiopia
FI FIN Finland; Suomi; 芬兰
FJ FJI Fiji
FK FLK Falkland Islands
FM FSM Micronesia; Federated States of Micronesia
FO FRO Faroe Islands
FR FRA France; 法国
GA GAB Gabon
GB GBR United Kingdom; UK; U.K.; Great Britain; Britain; England; Scotland; Wales; \
Northern Ireland; United Kingdom of Great Britain and Northern Ireland; 英国
GD GRD Grenada
GE GEO Georgia
GF GUF French Guiana
GG GGY Guernsey
GH GHA Ghana
GI GIB Gibraltar
GL GRL Greenland
GM GMB Gambia
GN GIN Guinea
GP GLP Guadeloupe
GQ GNQ Equatorial Guinea
GR GRC Greece; Hellas; 希腊
GS SGS South Georgia and the South Sandwich Islands
GT GTM Guatemala
GU GUM Guam
GW GNB Guinea-Bissau
GY GUY Guyana
HK HKG Hong Kong; Hong Kong SAR; 香港; 中国香港
HM HMD Heard Island and McDonald Islands
HN HND Honduras
HR HRV Croatia; Hrvatska
HT HTI Haiti
HU HUN Hungary; 匈牙利
ID IDN Indonesia; 印度尼西亚; 印尼
IE IRL Ireland; Republic of Ireland; EIRE; Éire; 爱尔兰
IL ISR Israel; 以色列
IM IMN Isle of Man
IN IND India; 印度
IO IOT British Indian Ocean Territory
IQ IRQ Iraq
IR IRN Iran; Islamic Republic of Iran
IS ISL Iceland; Ísland; 冰岛
IT ITA Italy; Italia; 意大利
JE JEY Jersey
JM JAM Jamaica
JO JOR Jordan
JP JPN Japan; Nippon; 日本
KE KEN Kenya
KG KGZ Kyrgyzstan
KH KHM Cambodia
KI KIR Kiribati
KM COM Comoros
KN KNA Saint Kitts and Nevis
KP PRK North Korea; Democratic People's Republic of Korea; DPRK; 朝鲜
KR KOR South Korea; Korea; Republic of Korea; Korea, Republic of; 韩国; 南韩
KW KWT Kuwait
KY CYM Cayman Islands
KZ KAZ Kazakhstan
LA LAO Laos; Lao People's Democratic Republic
LB LBN Lebanon
LC LCA Saint Lucia
LI LIE Liechtenstein
LK LKA Sri Lanka
LR LBR Liberia
LS LSO Lesotho
LT LTU Lithuania
LU LUX Luxembourg
LV LVA Latvia
LY LBY Libya
MA MAR Morocco
MC MCO Monaco
MD MDA Moldova
ME MNE Montenegro
MF MAF Saint Martin
MG MDG Madagascar
MH MHL Marshall Islands
MK MKD North Macedonia; Macedonia
ML MLI Mali
MM MMR Myanmar; Burma
MN MNG Mongolia
MO MAC Macao; Macau; 澳门; 中国澳门
MP MNP Northern Mariana Islands
MQ MTQ Martinique
MR MRT Mauritania
MS MSR Montserrat
MT MLT Malta
MU MUS Mauritius
MV MDV Maldives
MW MWI Malawi
MX MEX Mexico; México; 墨西哥
MY MYS Malaysia; 马来西亚
MZ MOZ Mozambique
NA NAM Namibia
NC NCL New Caledonia
NE NER Niger
NF NFK Norfolk Island
NG NGA Nigeria
NI NIC Nicaragua
NL NLD Netherlands; Holland; Nederland; 荷兰
NO NOR Norway; Norge; 挪威
NP NPL Nepal
NR NRU Nauru
NU NIU Niue
NZ NZL New Zealand; 新西兰
OM OMN Oman
PA PAN Panama
PE PER Peru
PF PYF French Polynesia
PG PNG Papua New Guinea
PH PHL Philippines; 菲律宾
PK PAK Pakistan
PL POL Poland; Polska; 波兰
PM SPM Saint Pierre and Miquelon
PN PCN Pitcairn; Pitcairn Islands
PR PRI Puerto Rico
PS PSE Palestine; State of Palestine
PT PRT Portugal; 葡萄牙
PW PLW Palau
PY PRY Paraguay
QA QAT Qatar
RE REU Réunion
RO ROU Romania
RS SRB Serbia
RU RUS Russia; Russian Federation; 俄罗斯
RW RWA Rwanda
SA SAU Saudi Arabia; KSA; 沙特阿拉伯; 沙特
SB SLB Solomon Islands
SC SYC Seychelles
SD SDN Sudan
SE SWE Sweden; Sverige; 瑞典
SG SGP Singapore; 新加坡
SH SHN Saint Helena
SI SVN Slovenia
SJ SJM Svalbard and Jan Mayen
SK SVK Slovakia; Slovak Republic
SL SLE Sierra Leone
SM SMR San Marino
SN SEN Senegal
SO SOM Somalia
SR SUR Suriname
SS SSD South Sudan
ST STP Sao Tome and Principe
SV SLV El Salvador
SX SXM Sint Maarten
SY SYR Syria; Syrian Arab Republic
SZ SWZ Eswatini; Swaziland
TC TCA Turks and Caicos Islands
TD TCD Chad
TF ATF French Southern Territories
TG TGO Togo
TH THA Thailand; 泰国
TJ TJK Tajikistan
TK TKL Tokelau
TL TLS Timor-Leste; East Timor
TM TKM Turkmenistan
TN TUN Tunisia
TO TON Tonga
TR TUR Turkey; Türkiye; 土耳其
TT TTO Trinidad and Tobago
TV TUV Tuvalu
TW TWN Taiwan; 台湾; 中国台湾; 臺灣
TZ TZA Tanzania
UA UKR Ukraine; 乌克兰
UG UGA Uganda
UM UMI United States Minor Outlying Islands
US USA United States; United States of America; US; U.S.; U.S.A.; America; 美国
UY URY Uruguay
UZ UZB Uzbekistan
VA VAT Vatican City; Holy See; Vatican
VC VCT Saint Vincent and the Grenadines
VE VEN Venezuela
VG VGB British Virgin Islands; Virgin Islands (British)
VI VIR United States Virgin Islands; Virgin Islands (U.S.); US Virgin Islands
VN VNM Vietnam; Viet Nam; 越南
VU VUT Vanuatu
WF WLF Wallis and Futuna
WS WSM Samoa
YE YEM Yemen
YT MYT Mayotte
ZA ZAF South Africa; RSA; Republic of South Africa; 南非
ZM ZMB Zambia
ZW ZWE Zimbabwe
"""


def country_code(s: pl.Series) -> pl.Series:
    """Map country names and codes to ISO 3166-1 alpha-2 codes; null where unknown.

    >>> country_code(pl.Series(["United Kingdom", "eire", "USA", "Unspecified"])).to_list()
    ['GB', 'IE', 'US', None]
    """
    keys = pl.DataFrame({"text": as_text(s)})
    distinct = keys.unique()
    lookup = _lookup()
    code = lookup_key(distinct.get_column("text")).replace_strict(
        lookup.get_column("key"), lookup.get_column("code"), default=None, return_dtype=pl.String
    )
    return spread(keys, distinct, pl.DataFrame({"code": code})).get_column("code").alias(s.name)


def known_countries() -> pl.DataFrame:
    """The ISO 3166-1 countries: ``alpha2``, ``alpha3`` and English ``name``, one row each."""
    rows = [(line[:2], line[3:6], line[7:].split(";")[0]) for line in _COUNTRIES.splitlines()]
    return pl.DataFrame(rows, schema=["alpha2", "alpha3", "name"], orient="row")


def lookup_key(s: pl.Series) -> pl.Series:
    """The form in which names are compared: lower case, no accents or punctuation."""
    return (
        clean_text(s)
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all(r"[.'’]", "")
        .str.replace_all("&", " and ")
        .str.replace_all(r"[,()\-/]", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.replace(r"^the ", "")
        .str.replace(r"^st ", "saint ")
    )


@cache
def _lookup() -> pl.DataFrame:
    """Every recognised key with its alpha-2 code, one row per key."""
    pairs = [
        (key, line[:2])
        for line in _COUNTRIES.splitlines()
        for key in (line[:2], line[3:6], *line[7:].split(";"))
    ]
    table = pl.DataFrame(pairs, schema=["key", "code"], orient="row")
    table = table.with_columns(lookup_key(table.get_column("key"))).unique(maintain_order=True)
    clashes = table.filter(pl.col("key").is_duplicated())
    if clashes.height:
        msg = f"country names with two codes: {clashes.rows()}"
        raise CrmindError(msg)
    return table
