// Naming traditions for synthetic people: names, home languages (ISO 639-3) and whether a spouse keeps a
// name of their own. Accents and apostrophes are there on purpose: search and dedup must cope with them.
// The lists below are each tradition's common names; name-pool.ts adds the long tail a real registry has.
import { namePool, type NamePool, type NameSounds } from './name-pool.js';
import type { Weighted } from './random.js';

export type TraditionName = 'east_african' | 'west_african' | 'south_asian' | 'hispanic' | 'arabic';

export interface Tradition {
  male: NamePool;
  female: NamePool;
  family: NamePool;
  languages: readonly Weighted<string>[];
  /** Chance that a spouse keeps a family name different from the head's. */
  spouseKeepsName: number;
}

const lang = (value: string, weight: number): Weighted<string> => ({ value, weight });
const words = (text: string): string[] => text.trim().split(/\s*,\s*/);

interface TraditionSource extends Omit<Tradition, 'male' | 'female' | 'family'> {
  male: string[];
  female: string[];
  family: string[];
  sounds: NameSounds;
}

const SOURCES: Record<TraditionName, TraditionSource> = {
  east_african: {
    male: words(`Juma, Baraka, Hamisi, Omari, Otieno, Ochieng, Kamau, Mwangi, Kiprono, Kipchoge, Njoroge, Mugisha,
      Tumaini, Emmanuel, Joseph, Daudi, Petro, Yohana, Musa, Salim, Rashidi, Abdallah, Makame, Bakari, Shabani,
      Wekesa, Onyango, Kibet, Kato, Ssebunya, Mutua, Kariuki, Elia`),
    female: words(`Amina, Neema, Rehema, Zawadi, Upendo, Imani, Wanjiru, Wambui, Njeri, Achieng, Atieno, Akinyi,
      Nakato, Nabirye, Mwanaisha, Mwajuma, Halima, Saida, Zuhura, Grace, Faith, Mercy, Esther, Rose, Anna, Maria,
      Joyce, Agnes, Chebet, Jepkosgei, Nyokabi, Subira, Tatu`),
    family: words(`Mwangi, Otieno, Kamau, Njoroge, Odhiambo, Wekesa, Mutua, Kiptoo, Ochieng, Massawe, Mushi, Kimaro,
      Lyimo, Okello, Mugisha, Tumusiime, Nyirenda, Banda, Mbwana, Mfinanga, Shirima, Temba, Swai, Mollel, Kariuki,
      Wafula, Barasa, Onyango, Ssempala, Nsubuga, Komba, Mrema, Makame`),
    languages: [lang('swa', 60), lang('eng', 30), lang('lug', 10)],
    sounds: {
      initials: words(`Mw, Nj, K, W, M, Ny, Ch, B, T, S, J, N, Ng, Sh, L, R, G, Od, On, Om, Ok, Ak, At, Ki, Mu, Wa, Ssem, Nab, Nak, Tum`),
      medials: words(`ng, nj, mb, nd, k, r, t, s, m, w, l, ch, sh, y, ny, g, b, ny, mw, kw`),
      vowels: words(`a, a, e, i, i, o, u, u`),
      familyEndings: words(`ngi, ro, ki, ta, ga, ri, so, ma, nda, la, nge, mbe, ti, yo, wa, ko, ra, ne`),
      maleEndings: words(`o, i, a, ngo, ri, si, ku, ta, ma, ge, nye`),
      femaleEndings: words(`a, i, ri, ni, ta, yo, wa, ngi, ra, ema, eni`),
    },
    spouseKeepsName: 0.4,
  },
  west_african: {
    male: words(`Mamadou, Ibrahima, Ousmane, Cheikh, Abdoulaye, Moussa, Souleymane, Amadou, Boubacar, Modibo, Seydou,
      Adama, Lamine, Babacar, Alioune, Désiré, Koffi, Yao, Kouassi, Serge, Thierry, Aboubacar, Issa, Oumar, Idrissa,
      Mamadou Lamine, Pape, Malick, Aliou, Saliou, Fodé, Sékou, Bakary`),
    female: words(`Aminata, Fatou, Awa, Aïssatou, Mariama, Khady, Ndèye, Coumba, Rokhaya, Adjoua, Akissi, Mariam, Fanta,
      Kadiatou, Oumou, Bintou, Salimata, Assétou, Hawa, Djénéba, Nafissatou, Astou, Marème, Sokhna, Yacine, Penda,
      Dieynaba, Fatoumata, Aïcha, Ramatoulaye, Clémentine, Béatrice, Adéla`),
    family: words(`N'Diaye, Diop, Fall, Sow, Ba, Diallo, Traoré, Keïta, Coulibaly, Koné, Touré, Cissé, Camara, Sylla,
      Kouyaté, Konaté, Sangaré, Ouédraogo, Sawadogo, Kaboré, Zongo, Kouamé, N'Guessan, Gueye, Faye, Mbaye, Sarr,
      Seck, Ndour, Thiam, Dembélé, Diarra, Sissoko, Bâ`),
    languages: [lang('fra', 60), lang('wol', 25), lang('bam', 15)],
    sounds: {
      initials: words(`D, K, S, T, C, B, M, F, G, Z, Y, Dj, Ng, Bo, Ou, Ad, Ab, Am, Is, Kh, Ts, Nd, Mb, Ss, Ha`),
      medials: words(`l, b, r, k, ss, m, n, d, t, y, ng, nd, mb, s, g, f, w`),
      vowels: words(`a, a, e, i, o, ou, é, è, a, i`),
      familyEndings: words(`é, a, o, ou, ne, ba, ra, ta, go, ké, ye, ré, ssé, té, gou, ma, ro, kho`),
      maleEndings: words(`ou, a, é, ar, ane, ine, ou, ba, ka, ssa, dou`),
      femaleEndings: words(`a, ta, tou, ma, ne, ya, ssa, da, nta, ba, bi`),
    },
    spouseKeepsName: 0.6,
  },
  south_asian: {
    male: words(`Rahul, Amit, Sanjay, Vikram, Arjun, Rohan, Imran, Faisal, Ravi, Suresh, Rajesh, Anil, Deepak, Manoj,
      Prakash, Karan, Nikhil, Vivek, Ashok, Tariq, Bilal, Asif, Farhan, Siddharth, Aditya, Pranav, Naveen, Mohan,
      Gopal, Arun, Hari, Rakesh, Dinesh`),
    female: words(`Priya, Anjali, Sunita, Kavita, Pooja, Neha, Deepa, Lakshmi, Meera, Radha, Shanti, Anita, Rekha,
      Nisha, Ayesha, Sana, Nazia, Shabana, Parveen, Divya, Sneha, Swati, Aarti, Geeta, Usha, Kamala, Savitri, Jyoti,
      Pallavi, Shreya, Ritu, Nandini, Farzana`),
    family: words(`Patel, Shah, Sharma, Singh, Kumar, Gupta, Mehta, Desai, Joshi, Reddy, Nair, Iyer, Pillai, Rao,
      Chaudhry, Khan, Qureshi, Siddiqui, Ahmed, Hussain, Bhatt, Pandey, Mishra, Verma, Yadav, Menon, Das, Bose,
      Banerjee, Chatterjee, Mukherjee, Kapoor, Malhotra, Thakkar`),
    languages: [lang('eng', 45), lang('hin', 25), lang('guj', 15), lang('urd', 15)],
    sounds: {
      initials: words(`Bh, Ch, D, G, J, K, M, N, P, R, S, Sh, T, V, Y, Kh, Sr, Pr, An, Ar, Har, Gur, Dev, Ra, Su`),
      medials: words(`r, n, nd, sh, v, l, k, th, dh, m, j, t, sw, ksh, nt, p, d, y, bh`),
      vowels: words(`a, a, e, i, o, u, aa, ee, a`),
      familyEndings: words(`a, i, an, ar, esh, ani, ath, wal, kar, ia, ri, ra, deo, gar, wala, ji, al`),
      maleEndings: words(`an, esh, ant, ish, endra, deep, it, ar, ul, in, esh`),
      femaleEndings: words(`a, i, ika, ita, ini, ya, ali, eema, ani, isha, ee`),
    },
    spouseKeepsName: 0.1,
  },
  hispanic: {
    male: words(`José, Juan, Luis, Carlos, Jorge, Miguel, Pedro, Manuel, Francisco, Antonio, Alejandro, Andrés, Diego,
      Fernando, Javier, Raúl, Ramón, Sergio, Héctor, Óscar, Rubén, Ángel, Iván, Joaquín, Tomás, Nicolás, Martín,
      Sebastián, Emilio, Julián, Mateo, Santiago, Gonzalo, Juan Pablo`),
    female: words(`María, Ana, Carmen, Lucía, Isabel, Rosa, Elena, Laura, Sofía, Valentina, Camila, Gabriela, Daniela,
      Paula, Marta, Beatriz, Inés, Pilar, Dolores, Guadalupe, Verónica, Mónica, Adriana, Alejandra, Patricia, Claudia,
      Lorena, Teresa, Raquel, Ximena, Natalia, Mercedes, María José`),
    family: words(`García, Rodríguez, Martínez, Hernández, López, González, Pérez, Sánchez, Ramírez, Torres, Flores,
      Rivera, Gómez, Díaz, Cruz, Morales, Reyes, Gutiérrez, Ortiz, Chávez, Ruiz, Jiménez, Mendoza, Álvarez, Castillo,
      Romero, Vargas, Herrera, Medina, Aguilar, Núñez, Peña, Muñoz, Ibáñez, De la Cruz`),
    languages: [lang('spa', 80), lang('eng', 15), lang('por', 5)],
    sounds: {
      initials: words(`B, C, D, F, G, L, M, N, P, R, S, T, V, Al, Ar, Es, Ib, Ol, Or, Qu, Ur, Ben, Cal, Cor, Gal`),
      medials: words(`l, r, rr, n, nd, st, ñ, ll, c, g, t, v, z, br, gr, d, m, s`),
      vowels: words(`a, e, i, o, u, ue, ie, a, o`),
      familyEndings: words(`ez, es, o, a, ado, era, ero, ano, illa, ón, al, ar, és, eda, ares, ino, uez`),
      maleEndings: words(`o, io, el, ín, ando, ardo, ito, ino, ón, iel, ario`),
      femaleEndings: words(`a, ia, ela, ina, ana, ita, ela, encia, aria, ida, isa`),
    },
    spouseKeepsName: 0.9,
  },
  arabic: {
    male: words(`Mohamed, Ahmed, Ali, Omar, Youssef, Khaled, Hassan, Hussein, Ibrahim, Mahmoud, Mustafa, Abdullah, Said,
      Karim, Tarek, Walid, Samir, Nabil, Rachid, Hamza, Yassine, Ayman, Ziad, Fadi, Jamal, Nasser, Salim, Adel, Anas,
      Marwan, Amr, Moustapha, Abdelkader`),
    female: words(`Fatima, Aisha, Mariam, Khadija, Zainab, Amina, Layla, Nour, Salma, Yasmin, Hana, Rania, Dalia, Samira,
      Nadia, Huda, Lina, Rim, Asma, Sara, Mona, Iman, Hiba, Souad, Leïla, Najwa, Ghada, Rasha, Widad, Zahra, Malak,
      Jamila, Fatma`),
    family: words(`Al-Sayed, El-Amin, Haddad, Khalil, Mansour, Nasser, Saleh, Hamdan, Aziz, Ben Ali, Bouazizi, Chaker,
      Darwish, Farouk, Ghanem, Habib, Ismail, Jaber, Karam, Mahfouz, Mourad, Qasim, Rahman, Sabri, Tahan, Zaki,
      Abdallah, El-Masri, Ould Ahmed, Bakr, Osman, Hijazi, Al-Hashimi`),
    languages: [lang('ara', 70), lang('fra', 15), lang('eng', 15)],
    sounds: {
      initials: words(`Ab, B, D, F, H, J, K, Kh, M, N, Q, R, S, Sh, T, Y, Z, Gh, Bou, Ben, Ha, Ja, Ra, Sa, Ta`),
      medials: words(`b, d, f, h, j, k, l, m, n, r, s, t, z, sh, kh, dh, kr, ss, ll, mm`),
      vowels: words(`a, i, u, ou, a, ee, a, i`),
      familyEndings: words(`i, a, an, ar, al, ani, awi, oud, een, ir, ouni, ash, ami, ad, oun`),
      maleEndings: words(`id, ir, an, im, ad, ar, il, ouf, een, am, ed`),
      femaleEndings: words(`a, ia, ah, ira, ina, ila, ada, ima, ouda, een, a`),
    },
    spouseKeepsName: 0.9,
  },
};

// tail sizes: family names are the most diverse (thousands per community), given names fewer
const FAMILY_TAIL = 4000;
const GIVEN_TAIL = 1500;
// share of people carrying one of the common names of the lists above
const FAMILY_HEAD_SHARE = 0.3;
const GIVEN_HEAD_SHARE = 0.45;

function tradition(source: TraditionSource): Tradition {
  const { sounds, ...rest } = source;
  return {
    ...rest,
    male: namePool(source.male, sounds, 'male', GIVEN_TAIL, GIVEN_HEAD_SHARE),
    female: namePool(source.female, sounds, 'female', GIVEN_TAIL, GIVEN_HEAD_SHARE),
    family: namePool(source.family, sounds, 'family', FAMILY_TAIL, FAMILY_HEAD_SHARE),
  };
}

export const TRADITIONS = Object.fromEntries(
  Object.entries(SOURCES).map(([name, source]) => [name, tradition(source)]),
) as Record<TraditionName, Tradition>;
