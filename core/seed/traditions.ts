// Naming traditions for synthetic people: names, home languages (ISO 639-3) and whether a spouse keeps a
// name of their own. Accents and apostrophes are there on purpose: search and dedup must cope with them.
import type { Weighted } from './random.js';

export type TraditionName = 'east_african' | 'west_african' | 'south_asian' | 'hispanic' | 'arabic';

export interface Tradition {
  male: readonly string[];
  female: readonly string[];
  family: readonly string[];
  languages: readonly Weighted<string>[];
  /** Chance that a spouse keeps a family name different from the head's. */
  spouseKeepsName: number;
}

const lang = (value: string, weight: number): Weighted<string> => ({ value, weight });
const words = (text: string): string[] => text.trim().split(/\s*,\s*/);

export const TRADITIONS: Record<TraditionName, Tradition> = {
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
    spouseKeepsName: 0.9,
  },
};
